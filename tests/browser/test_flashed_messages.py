"""Flashed messages (templates/base.html's flashes block) in Chromium: the live regions are empty in the
page as served (what a live region holds at load is not read out by screen readers) and
static/js/flashes.js puts each message in after load, an error into the alert region, a confirmation
into the status region; without scripts the page still shows them (its <noscript>)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import EVERY, axe_violations
from tests.browser.helpers import assert_nothing_went_wrong
from tests.servers import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# The block as served: its two live regions empty, the messages only in the inert <template> and <noscript>.
SERVED_EMPTY = re.compile(r'<div class="flashes"><div role="alert"></div><div role="status"></div>\s*'
                          r'<template class="flash-messages"><ul class="flash-list">.*?</ul></template>'
                          r'<noscript><ul class="flash-list">.*?</ul></noscript></div>', re.S)


def served_and_shown(page, action, path: str) -> str:
    """Do `action` (a form sent), and return the HTML served for the page it lands on at `path`."""
    with page.expect_response(lambda response: response.url.endswith(path)
                              and response.request.resource_type == "document") as served:
        action()
    return served.value.text()


def assert_served_empty(html: str) -> None:
    block = SERVED_EMPTY.search(html)
    assert block, html[html.find("<body"):][:1500]
    # No message anywhere else in the page as served (a region filled at load would not be read out).
    assert 'class="flash ' not in html.replace(block.group(0), "")


def expect_only(page, role: str, text: str) -> None:
    """The message is in the `role` region after load, the other region stays empty, and it is shown once."""
    other = "status" if role == "alert" else "alert"
    expect(page.locator(f".flashes > [role={role}] .flash")).to_have_text(text)
    expect(page.locator(f".flashes > [role={other}]")).to_be_empty()
    expect(page.locator(".flash")).to_have_count(1)
    expect(page.locator(".flashes template, .flashes noscript")).to_have_count(0)


def test_a_refused_login_is_an_alert_filled_after_load(chat_page, api_user):
    user = api_user("fla")
    visitor = chat_page()
    page = visitor.page
    page.goto(visitor.base_url + "/login")
    expect(page.locator(".flashes")).to_have_count(0)  # nothing flashed: no block
    page.fill("#username", user.username)
    page.fill("#password", "not my password")
    html = served_and_shown(page, lambda: page.click("#login-form button[type=submit]"), "/login")
    assert_served_empty(html)
    expect_only(page, "alert", "Wrong username or password.")
    assert axe_violations(page, EVERY) == [], "a flashed error"
    assert_nothing_went_wrong(visitor)


def test_the_settings_pages_messages_are_filled_after_load(chat_page, api_user):
    user = api_user("fls")
    chat = chat_page()
    chat.log_in(user.username)
    page = chat.page
    page.goto(chat.base_url + "/settings")
    page.check("#theme-dark")
    # A confirmation (after the redirect to /settings) is a status.
    html = served_and_shown(page, lambda: page.click("#theme-save"), "/settings")
    assert_served_empty(html)
    expect_only(page, "status", "Theme changed.")
    # A refusal rendered with the page itself (the token form's wrong password, a 400) is an alert.
    page.fill("#token-form input[name=name]", "my script")
    page.fill("#token-form input[name=password]", "not my password")
    html = served_and_shown(page, lambda: page.click("#token-form button[type=submit]"), "/settings/tokens")
    assert_served_empty(html)
    expect_only(page, "alert", "The password is wrong: no token was created.")
    assert_nothing_went_wrong(chat)


def test_without_scripts_the_messages_are_shown(page_without_scripts, live_server, api_user):
    user = api_user("fln")
    page = page_without_scripts(user.username, "not my password")
    expect(page.locator(".flashes .flash.error")).to_be_visible()
    expect(page.locator(".flashes .flash.error")).to_have_text("Wrong username or password.")
    page_without_scripts(user.username)
    page.goto(live_server.url + "/settings")
    page.check("#theme-dark")
    page.click("#theme-save")
    expect(page.locator(".flashes .flash.success")).to_have_text("Theme changed.")
    expect(page.locator(".flashes .flash.success")).to_be_visible()


def test_a_banner_of_a_registration_refused_in_place_is_filled_as_a_loaded_pages(chat_page, api_user):
    """static/js/register.js swaps in the refused page's form and banners without loading it: a banner
    (a refusal with no field, as too many registrations from one address) goes through flashes.js too."""
    taken = api_user("flr")
    visitor = chat_page()
    page = visitor.page
    page.goto(visitor.base_url + "/login")
    page.fill("#username", taken.username)
    page.fill("#password", "not my password")
    block = SERVED_EMPTY.search(served_and_shown(page, lambda: page.click("#login-form button[type=submit]"),
                                                 "/login")).group(0)
    expect_only(page, "alert", "Wrong username or password.")

    def with_banner(route):  # the real refusal, with the banner a refusal without a field has
        answer = route.fetch()
        route.fulfill(response=answer, body=answer.text().replace("<main", block + "<main", 1))

    page.goto(visitor.base_url + "/register")
    expect(page.locator(".flashes")).to_have_count(0)
    page.route("**/register", lambda route: with_banner(route) if route.request.method == "POST"
               else route.continue_())
    page.fill("#username", taken.username)
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("#register-form button[type=submit]")
    expect(page.locator("#username-error, .field-error").first).to_have_text("That username is taken.")
    expect_only(page, "alert", "Wrong username or password.")
    assert_nothing_went_wrong(visitor)
