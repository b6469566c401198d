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
    # The image is drawn: a QR code of 198 px, not a broken image (a data: URL decodes asynchronously too).
    waiting.page.wait_for_function("image => image.complete && image.naturalWidth > 100", arg=image.element_handle())
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


def test_the_phone_scans_the_code_with_its_camera(chat_page, api_user):
    """/qr/scan with a camera and BarcodeDetector (stood in for: headless Chromium on Linux has
    neither): a code of another site is ignored, this site's code opens its approve page."""
    account = api_user("qr")
    waiting = chat_page()
    link = show_code(waiting)
    phone = chat_page()
    phone.context.add_init_script(f"""
        window.BarcodeDetector = class {{
          async detect() {{ return [{{rawValue: "https://elsewhere.example/qr/abc"}}, {{rawValue: {link!r}}}]; }}
        }};
        navigator.mediaDevices.getUserMedia = async () => {{
          const canvas = document.createElement("canvas");
          canvas.width = canvas.height = 64;
          canvas.getContext("2d").fillRect(0, 0, 64, 64);
          return canvas.captureStream(5);
        }};
    """)
    phone.log_in(account.username)
    phone.page.goto(phone.base_url + "/qr/scan")
    phone.page.click("#qr-scan-start")
    expect(phone.page.locator("#qr-approve")).to_have_attribute("data-state", "scanned")
    assert phone.page.url == link
    expect(waiting.page.locator("#qr-login")).to_have_attribute("data-state", "scanned")
    assert_nothing_went_wrong(phone, waiting)


def test_without_barcode_detection_the_scan_page_says_what_to_do(chat_page, api_user):
    account = api_user("qr")
    phone = chat_page()
    phone.context.add_init_script("delete window.BarcodeDetector;")
    phone.log_in(account.username)
    phone.page.goto(phone.base_url + "/qr/scan")
    expect(phone.page.locator("#qr-scan")).to_have_attribute("data-state", "unsupported")
    expect(phone.page.locator("#qr-scan-status")).to_contain_text("camera app")
    assert_nothing_went_wrong(phone)
