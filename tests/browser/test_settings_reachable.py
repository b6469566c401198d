"""Settings are reached from the chat page, and the password change from the settings (issue 8:
/password existed but nothing linked to it): chat -> Settings -> Change password -> back at the
settings with the new password in force; the password page leads back without changing anything."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.browser.helpers import assert_nothing_went_wrong

pytestmark = [pytest.mark.browser, pytest.mark.integration]

NEW_PASSWORD = "a brand new secret phrase"


def test_from_the_chat_to_a_new_password_and_back(chat_page, api_user):
    user = api_user("pw")
    chat = chat_page()
    chat.log_in(user.username)
    chat.page.get_by_role("link", name="Settings").click()
    chat.page.wait_for_url(re.compile(r"/settings$"))

    chat.page.get_by_role("link", name="Change password").click()
    chat.page.wait_for_url(re.compile(r"/password\?next=(%2F|/)settings$"))
    chat.page.get_by_role("link", name="Back to settings").click()  # changes nothing
    chat.page.wait_for_url(re.compile(r"/settings$"))

    chat.page.click("#change-password-link")
    chat.page.fill("#current_password", PASSWORD)
    chat.page.fill("#new_password", NEW_PASSWORD)
    chat.page.fill("#confirm", NEW_PASSWORD)
    chat.page.click("#password-form button[type=submit]")
    chat.page.wait_for_url(re.compile(r"/settings$"))
    expect(chat.page.locator(".flash.success")).to_have_text("Your password is changed.")
    chat.page.click("#back-to-chat")
    chat.expect_state("online")

    chat.page.click("#logout-button")
    chat.page.wait_for_url(re.compile(r"/login"))
    chat.page.fill("#username", user.username)
    chat.page.fill("#password", PASSWORD)
    chat.page.click("#login-form button[type=submit]")
    expect(chat.page.locator("#login-form")).to_be_visible()  # the old password no longer opens it
    chat.log_in(user.username, NEW_PASSWORD)
    assert_nothing_went_wrong(chat)
