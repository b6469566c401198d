"""The Content-Security-Policy in Chromium: the chat page, the account pages and the back office
work under it with no violation at all (securitypolicyviolation events and console reports,
recorded by tests.browser.helpers.record_csp_violations)."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.browser.helpers import (
    assert_nothing_went_wrong,
    deliver_reports,
    group_with,
    page_user_id,
    post,
    record_csp_violations,
)
from tests.files.samples import png_bytes
from tests.servers import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_violations_are_seen_so_that_none_means_none(chat_page):
    tab = chat_page()
    tab.page.goto(tab.base_url + "/login")
    tab.page.evaluate("""() => {
        document.body.insertAdjacentHTML("beforeend", '<p style="color: red">styled</p>');
        const script = document.createElement("script");
        script.textContent = "window.ran = true";
        document.body.append(script);
    }""")
    deliver_reports(tab.page)
    assert len(tab.csp_violations) == 4  # two events, two console reports
    assert tab.page.evaluate("window.ran") is None
    assert any(text.startswith("style-src-attr refused inline") for text in tab.csp_violations)
    assert any(text.startswith("script-src-elem refused inline") for text in tab.csp_violations)


def test_chat_and_account_pages_work_without_a_violation(chat_page, api_user):
    bob = api_user("bob")
    alice = chat_page()
    response = alice.page.goto(alice.base_url + "/register")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    username = f"al{uuid.uuid4().hex[:8]}"
    alice.register(username, "Alice Example")

    group = bob.api("POST", "/groups", json={"name": "Policy", "visibility": "private",
                                             "member_ids": [page_user_id(alice)]}).json()["conversation"]
    post(bob, group["id"], "hello from bob")
    alice.open(group["id"])
    alice.type_and_send("hello from alice")
    expect(alice.message_with("hello from alice")).to_have_count(1)
    # An image: /files/<id> redirects to the storage's URL, which img-src must allow.
    alice.page.set_input_files("#file-input", files=[
        {"name": "red.png", "mimeType": "image/png", "buffer": png_bytes(40, 30)}])
    alice.send_chosen_files()
    image = alice.page.locator("#message-list img.attachment-image")
    wait_for(lambda: image.evaluate("image => image.complete && image.naturalWidth") == 40, what="image")

    alice.page.click("#logout-button")
    alice.page.wait_for_url(re.compile(r"/login"))
    alice.log_in(username)
    alice.page.goto(alice.base_url + "/password")
    alice.page.fill("#current_password", PASSWORD)
    alice.page.fill("#new_password", PASSWORD + " again")
    alice.page.fill("#confirm", PASSWORD + " again")
    alice.page.click("#password-form button[type=submit]")
    alice.expect_state("online")
    expect(alice.page.locator(".flash")).to_have_text("Your password is changed.")
    assert_nothing_went_wrong(alice)


class BackOffice:
    """An operator's browser on /admin that answers confirmations as told and records what went wrong."""

    def __init__(self, browser, operator):
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.context.set_default_timeout(15_000)
        self.violations = record_csp_violations(self.context)
        self.page = self.context.new_page()
        self.url = operator.url
        self.errors: list[str] = []
        self.confirmations: list[str] = []
        self.accept = True
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", self._answer)
        self.page.goto(self.url + "/login")
        self.page.fill("#username", operator.username)
        self.page.fill("#password", PASSWORD)
        self.page.click("#login-form button[type=submit]")
        self.page.wait_for_url(lambda url: "/login" not in url)

    def _answer(self, dialog) -> None:
        self.confirmations.append(dialog.message)
        dialog.accept() if self.accept else dialog.dismiss()

    def open(self, path: str) -> None:
        response = self.page.goto(self.url + path)
        assert response.status == 200, path
        assert "unsafe-inline" not in response.headers["content-security-policy"]

    def flash(self):
        return self.page.locator(".alert").last


@pytest.fixture
def back_office(browser, operator):
    office = BackOffice(browser, operator)
    yield office
    office.context.close()


def test_the_back_office_works_without_a_violation(back_office, operator, api_user):
    member, other = api_user("mem"), api_user("oth")
    group = group_with(member, other, name=f"Desk {uuid.uuid4().hex[:6]}", visibility="public")
    message = post(other, group["id"], "moderate me")

    back_office.open("/admin/")
    expect(back_office.page.locator("#messages-chart")).to_be_visible()
    for path in ("/admin/report/", "/admin/audit/", "/admin/attachment/", "/admin/broadcast/", "/admin/export/",
                 "/admin/jobs/", "/admin/job_failure/", f"/admin/group/members/?id={group['id']}",
                 f"/admin/user/edit/?id={member.id}"):
        back_office.open(path)

    # Users: the filter menu, then a bulk action with its confirmation, refused and then accepted.
    back_office.open(f"/admin/user/?search={other.username}")
    back_office.page.click("text=Add Filter")
    back_office.page.click(".field-filters a.filter >> text=Role")
    expect(back_office.page.locator("#filter_form .remove-filter")).to_have_count(1)
    back_office.page.check(f"input.action-checkbox[value='{other.id}']")
    back_office.accept = False
    back_office.page.click("text=With selected")
    back_office.page.click("[data-model-action=deactivate]")
    assert back_office.confirmations == ["Deactivate the selected accounts? Their sessions and sockets end at once."]
    assert other.api("GET", "/conversations").status_code == 200  # refused: still active
    back_office.accept = True
    back_office.page.click("text=With selected")
    back_office.page.click("[data-model-action=deactivate]")
    expect(back_office.flash()).to_contain_text("1 account(s) deactivated")
    assert other.api("GET", "/conversations").status_code == 401

    # One account: a button whose form asks first (data-confirm), refused, then accepted.
    back_office.open(f"/admin/user/manage/?id={member.id}")
    back_office.accept = False
    back_office.page.click("button:has-text('Make operator')")
    expect(back_office.page.locator("text=Role:")).to_contain_text("user")
    back_office.accept = True
    back_office.page.click("button:has-text('Make operator')")
    expect(back_office.flash()).to_be_visible()
    expect(back_office.page.locator("p:has-text('Role:') strong")).to_have_text("admin")

    # A message: hidden from its context page; the messages list's row delete asks first.
    back_office.open(f"/admin/message/context/?id={message['id']}")
    back_office.page.click("button:has-text('Hide')")
    expect(back_office.page.locator(".badge-danger", has_text="hidden")).to_have_count(1)
    back_office.open(f"/admin/message/?flt0_conversation_equals={group['id']}")
    back_office.accept = False
    back_office.page.locator("form[data-confirm] button").first.click()
    assert back_office.confirmations[-1] == "Are you sure you want to delete this record?"
    back_office.page.click("text=List")  # Flask-Admin's javascript:void(0) tab link: not followed, no violation

    deliver_reports(back_office.page)
    assert back_office.errors == []
    assert back_office.violations == []
