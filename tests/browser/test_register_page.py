"""The registration page in a real browser: the username and password rules are on the form, a refusal
shows next to its field (not as a banner), and the passwords typed are not cleared by it (issue 8)."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.browser.helpers import assert_nothing_went_wrong

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def field_of(page, input_id: str):
    """The label.field around an input: its rules and its errors."""
    return page.locator("label.field", has=page.locator(f"#{input_id}"))


def test_a_refused_registration_shows_each_error_by_its_field_and_keeps_the_passwords(chat_page, api_user):
    taken = api_user("taken")
    visitor = chat_page()
    page = visitor.page
    page.goto(visitor.base_url + "/register")
    expect(field_of(page, "username").locator(".field-hint")).to_have_text(
        "3 to 32 characters: letters, digits, “_”, “.” or “-”.")
    expect(page.locator("#username")).to_have_attribute("aria-describedby", "username-hint")
    expect(field_of(page, "password").locator(".field-hint")).to_contain_text("At least 8 characters")

    page.fill("#username", taken.username)
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("#register-form button[type=submit]")
    expect(field_of(page, "username").locator(".field-error")).to_have_text("That username is taken.")
    expect(page.locator(".flashes")).to_have_count(0)  # by the field, not a banner
    expect(page.locator("#password")).to_have_value(PASSWORD)
    expect(page.locator("#confirm")).to_have_value(PASSWORD)
    expect(page.locator("#username")).to_have_value(taken.username)
    assert PASSWORD not in page.content()  # kept in the boxes, never written into the HTML

    page.fill("#confirm", "something else entirely")  # the form's own check, by its field too
    page.click("#register-form button[type=submit]")
    expect(field_of(page, "confirm").locator(".field-error")).to_have_text("Passwords differ.")
    expect(page.locator("#password")).to_have_value(PASSWORD)

    page.fill("#username", f"new{uuid.uuid4().hex[:8]}")
    page.fill("#confirm", PASSWORD)
    page.click("#register-form button[type=submit]")
    visitor.expect_state("online")  # registered and in the chat
    assert_nothing_went_wrong(visitor)
