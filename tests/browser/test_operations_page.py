"""The back office's Operations page in Chromium: its figures refresh by themselves (no reload),
under the Content-Security-Policy, without a violation or a script error."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_content_security_policy import back_office  # noqa: F401  (the operator's browser)

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_figures_refresh_by_themselves(back_office, api_user):  # noqa: F811
    back_office.open("/admin/operations/")
    sockets = back_office.page.locator("#figure-sockets-websocket")
    expect(back_office.page.locator("#figure-readiness")).to_have_text("ready")
    before = int(sockets.inner_text())
    user = api_user("ops")
    socket = user.socket()
    try:
        expect(sockets).to_have_text(str(before + 1))  # within a refresh or two (5 s each)
        expect(back_office.page.locator("[data-refreshed-at]")).not_to_have_text("at page load")
    finally:
        socket.disconnect()
    expect(sockets).to_have_text(str(before))
    assert back_office.errors == [] and back_office.violations == []
