"""The back office's Operations page in Chromium: its figures refresh by themselves (no reload),
under the Content-Security-Policy, without a violation or a script error."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_content_security_policy import back_office  # noqa: F401  (the operator's browser)
from tests.servers import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]

OURS = 3  # sockets this test opens


def test_figures_refresh_by_themselves(back_office, api_user):  # noqa: F811
    back_office.open("/admin/operations/")
    page = back_office.page
    shown = page.locator("#figure-sockets-websocket")
    expect(page.locator("#figure-readiness")).to_have_text("ready")
    figures_url = back_office.url + page.locator("#operations").get_attribute("data-refresh-url")

    def counted() -> int:
        """The server's own count now (the JSON the page reads)."""
        return int(page.request.get(figures_url).json()["sockets.websocket"])

    # The live server is shared: a socket an earlier test closed may still be counted, and go at any
    # moment. So the page's figure is compared with the server's count, never with arithmetic alone.
    at_page_load = int(shown.inner_text())
    user = api_user("ops")
    sockets = [user.socket() for _ in range(OURS)]
    try:
        with_ours = wait_for(lambda: (count := counted()) == int(shown.inner_text()) and count != at_page_load
                             and count, what="the page to show the sockets just opened")  # a refresh is 5 s
        expect(page.locator("[data-refreshed-at]")).not_to_have_text("at page load")
    finally:
        for socket in sockets:
            socket.disconnect()
    wait_for(lambda: (count := counted()) == int(shown.inner_text()) and count <= with_ours - OURS,
             what="the page to show them closed")
    assert back_office.errors == [] and back_office.violations == []
