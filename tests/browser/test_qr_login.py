"""QR-code login in real browsers: one context shows the QR code on the login page, another,
logged in, opens the code's link (as a phone that scanned it), approves, and the first ends up
in the chat as that user; a refusal is shown on the waiting page. Under the pages' CSP."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_nothing_went_wrong

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def show_code(waiting) -> str:
    waiting.page.goto(waiting.base_url + "/login")
    waiting.page.click("#qr-login-button")
    expect(waiting.page.locator("#qr-login")).to_have_attribute("data-state", "waiting")
    image = waiting.page.locator("#qr-login-image")
    expect(image).to_be_visible()
    assert image.get_attribute("src").startswith("data:image/svg+xml")
    # The image is drawn: a QR code of 198 px, not a broken image.
    assert waiting.page.eval_on_selector("#qr-login-image", "image => image.naturalWidth") > 100
    return image.get_attribute("data-url")


def test_a_logged_in_browser_approves_the_qr_code(chat_page, api_user):
    account = api_user("qr")
    phone = chat_page()
    phone.log_in(account.username)
    waiting = chat_page()
    link = show_code(waiting)

    phone.page.goto(link)
    expect(phone.page.locator("#qr-approve")).to_have_attribute("data-state", "scanned")
    expect(phone.page.locator("#qr-approve-agent")).to_contain_text("Mozilla")
    expect(waiting.page.locator("#qr-login")).to_have_attribute("data-state", "scanned")
    phone.page.click("#qr-approve-button")
    expect(phone.page.locator("#qr-approve")).to_have_attribute("data-state", "approved")

    # The waiting page got the approval over its socket, its ticket, and posted it: the chat.
    waiting.expect_state("online")
    assert waiting.page.url == waiting.base_url + "/"
    expect(waiting.page.locator(".me-name")).to_contain_text(account.username)
    assert_nothing_went_wrong(phone, waiting)


def test_a_refusal_is_shown_on_the_waiting_page(chat_page, api_user):
    account = api_user("qr")
    phone = chat_page()
    phone.log_in(account.username)
    waiting = chat_page()
    link = show_code(waiting)

    phone.page.goto(link)
    phone.page.click("#qr-refuse")
    expect(phone.page.locator("#qr-approve")).to_have_attribute("data-state", "refused")
    expect(waiting.page.locator("#qr-login")).to_have_attribute("data-state", "refused")
    expect(waiting.page.locator("#qr-login-status")).to_have_text("The login was refused on the other device.")
    # A new code can be asked for from the same page.
    waiting.page.click("#qr-login-again")
    expect(waiting.page.locator("#qr-login")).to_have_attribute("data-state", "waiting")
    assert waiting.page.locator("#qr-login-image").get_attribute("data-url") != link
    assert waiting.page.url.endswith("/login")
    assert_nothing_went_wrong(phone, waiting)
