"""The back office in Chromium: an operator logs in at /login and finds the back office from the
chat; the navigation leads back to the chat and out; the per-user page shows a user's messages
(linked to moderation) and reports, and suspends them with a reason their open page and their next
login are told; the dashboard's chart has its axes. axe-core finds no serious violation there."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
from playwright.sync_api import expect

from models.time import utcnow
from tests.browser.accessibility import axe_violations
from tests.browser.conftest import PASSWORD, ChatPage
from tests.browser.helpers import group_with, post, record_csp_violations

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture
def operator_page(browser, live_server, operator):
    """The operator's own browser: confirmations (data-confirm) are accepted, as an operator clicks OK."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(15_000)
    office = ChatPage(context.new_page(), context, live_server.url, csp_violations=record_csp_violations(context))
    office.page.on("dialog", lambda dialog: (office.dialogs.append(dialog.message), dialog.accept()))
    office.page.on("pageerror", lambda error: office.errors.append(str(error)))
    yield office
    context.close()


def test_an_operator_goes_from_the_chat_to_the_back_office_and_back_and_out(operator_page, operator):
    page = operator_page.page
    operator_page.log_in(operator.username)
    page.click("#back-office-link")
    expect(page.locator("#dashboard-numbers")).to_be_visible()
    chart = page.locator("#messages-chart")
    expect(chart.locator("#chart-y-title")).to_have_text("Messages")
    expect(chart.locator("#chart-x-title")).to_have_text("Day (UTC)")
    # The count axis starts at 0 and has 2 or 3 ticks (the middle one only when whole: the session's
    # server holds other tests' messages); the day axis has 3. tests/admin/test_user_page pins exact ticks.
    ticks = chart.locator(".chart-tick").all_text_contents()
    assert ticks[0] == "0" and len(ticks) in (5, 6), ticks
    assert page.evaluate("() => document.querySelector('link[rel=icon]').href").endswith("/static/favicon.svg")
    assert axe_violations(page) == []
    page.click("#admin-chat-link")
    operator_page.expect_state("online")
    page.click("#back-office-link")
    page.click("#admin-logout-button")
    expect(page).to_have_url(operator_page.base_url + "/login")
    page.goto(operator_page.base_url + "/admin/")  # logged out: the login page, which then brings them back
    expect(page).to_have_url(re.compile(r"/login\?next=/admin/"))
    page.fill("#username", operator.username)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#dashboard-numbers")).to_be_visible()
    assert operator_page.errors == [] and operator_page.csp_violations == []


def test_the_per_user_page_moderates_and_suspends_with_a_reason_the_user_is_told(
        operator_page, chat_page, api_user, operator):
    mallory, reporter = api_user("mal"), api_user("rep")
    group = group_with(reporter, mallory)
    message = post(mallory, group["id"], "cheap watches here")
    reported = reporter.api("POST", f"/messages/{message['id']}/report", json={"reason": "spam"})
    assert reported.status_code == 201, reported.text
    victim = chat_page()
    victim.log_in(mallory.username)

    page = operator_page.page
    operator_page.log_in(operator.username)
    page.goto(f"{operator_page.base_url}/admin/user/manage/?id={mallory.id}")
    row = page.locator(f"#user-messages tr[data-message-id='{message['id']}']")
    expect(row).to_contain_text("cheap watches here")
    expect(page.locator("#user-reports-received")).to_contain_text("open")
    expect(page.locator("#user-sessions tr[data-session-id]")).to_have_count(1)
    assert axe_violations(page) == []
    row.get_by_role("link", name="Moderate").click()
    expect(page.locator("body")).to_contain_text("cheap watches here")
    page.go_back()

    until = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    page.fill("#until", until.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#reason", "Selling watches in every group")
    page.click("#suspend-form button[type=submit]")
    expect(page.locator("#user-suspension")).to_contain_text("Selling watches in every group")
    expect(page.locator("#user-audit")).to_contain_text("user.suspend")
    assert operator_page.dialogs == ["Suspend this account? Its sessions, tokens and live sockets end at once."]

    expect(victim.page.locator("#session-ended")).to_be_visible()  # cut at once, told so
    victim.page.goto(victim.base_url + "/login")
    victim.page.fill("#username", mallory.username)
    victim.page.fill("#password", PASSWORD)
    victim.page.click("#login-form button[type=submit]")
    expect(victim.page.locator(".flash.error")).to_contain_text("This account is suspended until")
    expect(victim.page.locator(".flash.error")).to_contain_text("Selling watches in every group")
    wrong = requests.post(victim.base_url + "/api/tokens", json={"username": mallory.username, "password": "nope"},
                          timeout=10)
    assert wrong.json()["error"]["code"] == "invalid_credentials"  # the reason only after the right password

    page.get_by_role("button", name="Lift the suspension").click()
    expect(page.locator("#user-suspension")).to_have_count(0)
    token = requests.post(victim.base_url + "/api/tokens", json={"username": mallory.username, "password": PASSWORD},
                          timeout=10)
    assert token.status_code == 201, token.text
    assert operator_page.errors == [] and operator_page.csp_violations == []


# The back office's flashes block as served (templates/_flashes.html in its alert look): both live regions
# empty, the messages only in the inert <template> and the <noscript>.
SERVED_EMPTY = re.compile(r'<div class="flashes"><div role="alert"></div><div role="status"></div>\s*'
                          r'<template class="flash-messages"><ul class="flash-list list-unstyled">.*?</ul></template>'
                          r'<noscript><ul class="flash-list list-unstyled">.*?</ul></noscript></div>', re.S)


def served(page, action) -> str:
    """Do `action` (a form sent), and return the HTML of the back-office page it lands on."""
    with page.expect_response(lambda response: "/admin/" in response.url and response.request.method == "GET"
                              and response.request.resource_type == "document") as answer:
        action()
    html = answer.value.text()
    block = SERVED_EMPTY.search(html)
    assert block, html[html.find("<nav"):][:1500]
    assert 'class="flash ' not in html.replace(block.group(0), "")  # no message in the page outside the block
    return html


def test_the_back_offices_messages_are_put_into_empty_live_regions_after_load(operator_page, api_user, operator):
    """As every page's (tests/browser/test_flashed_messages.py): what a live region holds at load is not
    read out, so Flask-Admin's messages, served filled in no region at all, were heard by no one."""
    member, other = api_user("bfm"), api_user("bfo")
    page = operator_page.page
    operator_page.log_in(operator.username)
    page.goto(f"{operator_page.base_url}/admin/user/manage/?id={member.id}")
    expect(page.locator(".flashes")).to_have_count(0)  # nothing flashed: no block
    # A confirmation is a status, in Flask-Admin's look (a Bootstrap alert), shown once.
    served(page, lambda: page.click("button:has-text('Deactivate (ban)')"))
    expect(page.locator(".flashes > [role=status] .flash.alert.alert-success")).to_have_text("Account deactivated.")
    expect(page.locator(".flashes > [role=alert]")).to_be_empty()
    expect(page.locator(".flash")).to_have_count(1)
    expect(page.locator(".flashes template, .flashes noscript")).to_have_count(0)
    assert axe_violations(page) == []
    # A bulk action refused for one row (the operator's own account) and done for the other: the refusal
    # is an alert, the count a status, each once.
    me = requests.get(operator_page.base_url + "/api/me", headers=operator.headers, timeout=10).json()["user"]["id"]
    page.goto(f"{operator_page.base_url}/admin/user/")  # the newest accounts first: the two are on it
    for user_id in (me, other.id):
        page.check(f"input.action-checkbox[value='{user_id}']")
    page.click("text=With selected")
    served(page, lambda: page.click("[data-model-action=deactivate]"))
    expect(page.locator(".flashes > [role=alert] .flash.error.alert-danger")).to_have_text(
        "Operators cannot deactivate their own account.")
    expect(page.locator(".flashes > [role=status] .flash.alert-success")).to_have_text("1 account(s) deactivated.")
    expect(page.locator(".flash")).to_have_count(2)
    assert axe_violations(page) == []
    # Each can be dismissed (flashes.js): its button takes it away, and the focus goes to the next one's
    # button, then to the page's main content, not back to the top of the page.
    dismiss = page.get_by_role("button", name="Dismiss this message")
    expect(dismiss).to_have_count(2)
    dismiss.first.click()
    expect(page.locator(".flash")).to_have_count(1)
    expect(page.locator(".flash")).to_have_text("1 account(s) deactivated.")
    expect(dismiss).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_have_count(0)
    expect(page.locator("main")).to_be_focused()
    assert operator_page.errors == [] and operator_page.csp_violations == []


def test_without_scripts_the_back_offices_messages_are_shown_and_dismissed(page_without_scripts, live_server, api_user,
                                                                          operator):
    member = api_user("bfn")
    page = page_without_scripts(operator.username)
    page.goto(f"{live_server.url}/admin/user/manage/?id={member.id}")
    page.click("button:has-text('Deactivate (ban)')")  # its data-confirm asks nothing without scripts
    expect(page.locator(".flashes .flash.alert-success")).to_have_text("Account deactivated.")
    expect(page.locator(".flashes .flash.alert-success")).to_be_visible()
    # Its dismiss button loads the same page again, which shows the message no more.
    page.get_by_role("button", name="Dismiss this message").click()
    expect(page.locator(".flash")).to_have_count(0)
    expect(page).to_have_url(f"{live_server.url}/admin/user/manage/?id={member.id}")
    expect(page.locator("button:has-text('Reactivate')")).to_be_visible()
