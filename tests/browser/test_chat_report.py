"""Reporting a message from the chat page: the dialog, the report the operators then see in the
back office's Reports panel, and the server's refusal of a second report shown in the page."""
from __future__ import annotations

import html
import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import axe_violations
from tests.browser.conftest import PASSWORD
from tests.browser.helpers import assert_nothing_went_wrong, group_with, open_as, post

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def report_rows(operator, message_body: str) -> list[str]:
    """The text of each row of the operator's Reports panel whose message is `message_body`."""
    page = operator.session.get(operator.url + "/admin/report/", params={"page_size": 100}, timeout=10)
    assert page.status_code == 200, page.text[:500]
    rows = [html.unescape(re.sub(r"<[^>]+>", " ", row)) for row in re.findall(r"<tr.*?</tr>", page.text, re.S)]
    return [" ".join(row.split()) for row in rows if message_body in row]


def test_a_member_reports_a_message_and_the_operators_see_it(chat_page, api_user, operator):
    alice_account, bob_account = api_user("al"), api_user("bob")
    group = group_with(alice_account, bob_account)
    spam = f"cheap watches {uuid.uuid4().hex[:6]}"
    post(bob_account, group["id"], spam)
    alice = open_as(chat_page, alice_account, group["id"])
    alice.type_and_send("my own words")
    expect(alice.messages).to_have_count(2)
    theirs, mine = alice.messages.first, alice.messages.last
    mine.hover()
    expect(mine.get_by_role("button", name="Edit message")).to_be_visible()
    assert mine.get_by_role("button", name="Report message").count() == 0  # nobody reports themselves
    assert theirs.get_by_role("button", name="Edit message").count() == 0

    theirs.hover()
    theirs.get_by_role("button", name="Report message").click()
    dialog = alice.page.locator("#report-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#report-quote")).to_contain_text(spam)
    dialog.get_by_label("Abuse, harassment or threats").check()
    alice.page.fill("#report-text", "keeps <b>selling</b> to everyone")
    alice.page.screenshot(path="/tmp/report-dialog.png")
    alice.page.click("#report-submit")
    expect(dialog).to_be_hidden()
    expect(alice.page.locator("#toast-region .toast.info")).to_contain_text("operators will look")

    rows = report_rows(operator, spam)
    assert len(rows) == 1, rows
    assert " open abuse " in f" {rows[0]} "
    assert alice_account.username in rows[0] and bob_account.username in rows[0]
    assert "keeps <b>selling</b> to everyone" in rows[0]

    # A second report of the same message: the dialog stays open with the server's reason.
    theirs.hover()
    theirs.get_by_role("button", name="Report message").click()
    expect(dialog).to_be_visible()
    expect(dialog.locator("#report-text")).to_have_value("")  # a fresh form each time
    alice.page.click("#report-submit")
    expect(dialog.locator(".dialog-error")).to_have_text("You have reported this message already.")
    expect(dialog).to_be_visible()
    alice.page.screenshot(path="/tmp/report-twice.png")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert len(report_rows(operator, spam)) == 1
    assert_nothing_went_wrong(alice)


def test_the_operator_opens_the_file_of_a_reported_message_its_author_deleted(chat_page, api_user, operator):
    """The evidence of an open report survives its author's deletion, for the operators only: the review
    page in a real browser links the file and the link downloads it (as Slack Enterprise and Mattermost
    keep reported content); the members get 410."""
    reporter, sender = api_user("rep"), api_user("snd")
    group = group_with(reporter, sender)
    uploaded = sender.api("POST", f"/conversations/{group['id']}/files",
                          files={"file": ("proof.pdf", b"%PDF-1.4\n% evidence\n", "application/pdf")})
    attachment_id = uploaded.json()["attachment"]["id"]
    sent = sender.api("POST", f"/conversations/{group['id']}/messages",
                      json={"body": "look at this", "attachment_id": attachment_id, "client_id": uuid.uuid4().hex})
    message_id = sent.json()["message"]["id"]
    report = reporter.api("POST", f"/messages/{message_id}/report", json={"reason": "abuse"}).json()["report"]
    assert sender.api("DELETE", f"/messages/{message_id}").status_code == 200
    assert reporter.api("GET", f"/files/{attachment_id}").status_code == 410

    office = chat_page()
    office.page.goto(office.base_url + "/login")
    office.page.fill("#username", operator.username)
    office.page.fill("#password", PASSWORD)
    office.page.click("#login-form button[type=submit]")
    office.page.goto(f"{office.base_url}/admin/report/review/?id={report['id']}")
    row = office.page.locator("tr.table-warning")
    expect(row).to_contain_text("look at this")
    with office.page.expect_download() as download:
        row.get_by_role("link", name="proof.pdf").click()
    assert download.value.suggested_filename == "proof.pdf"
    assert axe_violations(office.page) == []
    assert_nothing_went_wrong(office)
