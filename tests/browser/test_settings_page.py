"""The settings page in Chromium: reached from the chat header; logging another session out from it
signs that browser's open chat page out at once (it says so and offers the login page); a new API
token takes the password and is shown once; no CSP violation, no page error, no dialog."""
from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.helpers import assert_nothing_went_wrong, expect_signed_out_notice
from tests.servers import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_logging_out_another_session_from_the_settings_page(chat_page, api_user):
    user = api_user("set")
    laptop, phone = chat_page(), chat_page()
    laptop.log_in(user.username)
    phone.log_in(user.username)

    laptop.page.click("#settings-link")
    laptop.page.wait_for_url(re.compile(r"/settings$"))
    rows = laptop.page.locator("#session-list .settings-item")
    expect(rows).to_have_count(2)
    expect(laptop.page.locator("#session-list .settings-item.current #this-device")).to_have_text("This device")
    other = laptop.page.locator("#session-list .settings-item:not(.current)")
    other.locator("button", has_text="Log out").click()
    expect(laptop.page.locator(".flash.success")).to_contain_text("Logged out:")
    expect(rows).to_have_count(1)
    # The phone's open chat page hears session:ended (docs/protocol.md), is cut, says so and does
    # not reconnect; its way back is the login page (its cookies sign nobody in any more).
    expect_signed_out_notice(
        phone, "This browser's session was ended from another device, so this page was signed out.")
    phone.page.goto(phone.base_url + "/")
    phone.page.wait_for_url(re.compile(r"/login"))
    laptop.page.goto(laptop.base_url + "/")
    laptop.expect_state("online")
    assert_nothing_went_wrong(laptop, phone)


def test_a_token_made_on_the_settings_page_is_shown_once_and_works(chat_page, api_user):
    user = api_user("tok")
    browser = chat_page()
    browser.log_in(user.username)
    browser.page.goto(browser.base_url + "/settings")
    browser.page.fill("#token-form input[name=name]", "my script")
    browser.page.select_option("#token-form select[name=expires_in_days]", "7")
    # The password again (as GitHub asks before a personal token): without it the browser keeps the form
    browser.page.click("#token-form button[type=submit]")
    assert browser.page.evaluate("document.querySelector('#token-form input[name=password]').validity.valueMissing")
    browser.page.fill("#token-form input[name=password]", "not my password")
    # A flashed error: put into the page's empty alert region after load (static/js/flashes.js), so that
    # screen readers read it out (tests/browser/test_flashed_messages.py).
    browser.page.click("#token-form button[type=submit]")
    expect(browser.page.locator(".flashes > [role=alert] .flash.error")).to_have_text(
        "The password is wrong: no token was created.")
    expect(browser.page.locator("#issued-token")).to_have_count(0)
    browser.page.fill("#token-form input[name=name]", "my script")
    browser.page.fill("#token-form input[name=password]", PASSWORD)
    browser.page.click("#token-form button[type=submit]")
    token = browser.page.locator("#issued-token").input_value()
    assert token.startswith("sbt_")
    me = requests.get(browser.base_url + "/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert me.json()["user"]["username"] == user.username
    browser.page.goto(browser.base_url + "/settings")
    expect(browser.page.locator("#issued-token")).to_have_count(0)
    expect(browser.page.locator("#token-list .token-name", has_text="my script")).to_have_count(1)
    assert_nothing_went_wrong(browser)
