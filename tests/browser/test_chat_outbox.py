"""The outbox across a reload, in a real browser against the real server (outbox.js, outbox-store.js, sender.js):
what the closed page had not sent goes out on the next load, each conversation's in the order written and without a
click, with the client ids it was written with (the server stores each once), unless the server refused it in a way
that waits for the user (the send rate: its Retry; for good: its Discard). Entries an earlier version of the page kept
are restored too."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    alone_in_a_group,
    assert_nothing_went_wrong,
    intercept_sends,
    keep_in_outbox,
    kept_outbox,
    reopen,
    sent_bodies,
    stored_bodies,
    two_in_a_group,
)
from tests.files.samples import PDF_BYTES
from tests.servers import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# A message:send refused with `argument` (the error) before it leaves, as the server would answer it.
REFUSE = "(payload, ack, send, error) => ack({ok: false, error})"

# From now on the page's clock stands still: whatever it writes is written in the same millisecond.
STOP_THE_CLOCK = """() => {
  const RealDate = Date;
  const frozen = RealDate.now();
  window.Date = class extends RealDate {
    constructor(...args) {
      super(...(args.length ? args : [frozen]));
    }

    static now() {
      return frozen;
    }
  };
}"""


def stored(account, group) -> list[dict]:
    return account.api("GET", f"/conversations/{group}/messages", params={"after": 0}).json()["messages"]


def kept_entry(conversation_id: int, body: str, written_at: datetime, **kept) -> dict:
    """An entry as outbox-store.js keeps it; without `order` and `error_code` unless given, as an earlier version of
    the page kept it."""
    created_at = written_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")  # as toISOString() writes
    return {"client_id": str(uuid.uuid4()), "conversation_id": conversation_id, "body": body,
            "created_at": created_at, "retryable": True, **kept}


@pytest.mark.parametrize("code", ["unavailable", "rate_limited"])
def test_after_a_reload_what_the_server_could_not_take_goes_by_itself_and_the_send_rate_waits_for_retry(
        chat_page, api_user, code):
    """The closed page was trying `unavailable` again by itself (its timers went with it): the next load sends it
    and the one written after it, in order, with no click. A send the send rate refused waits for its Retry there as
    it did here, with what was written after it behind it."""
    alice_account, _, group, alice, bob = two_in_a_group(chat_page, api_user)
    intercept_sends(alice, REFUSE, {"code": code, "message": "Not now.", "retry_after": 3600})
    alice.type_and_send("written first")
    expect(alice.page.locator("#pending-list .message.failed .message-body")).to_have_text("written first")
    alice.type_and_send("written second")
    wait_for(lambda: {entry["body"]: entry["state"] for entry in kept_outbox(alice)} == {
        "written first": "failed", "written second": "pending"}, what="the outbox on disk")
    client_ids = {entry["client_id"] for entry in kept_outbox(alice)}
    assert set(sent_bodies(alice)) == {"written first"}  # the second waited behind it

    reopen(alice, group)
    written = ["written first", "written second"]
    pending = alice.page.locator("#pending-list .message")
    if code == "rate_limited":
        failed = alice.page.locator("#pending-list .message.failed")
        expect(failed.locator(".message-body")).to_have_text("written first")
        expect(pending.locator(".message-pending-note")).to_have_text(["sent after the message above"])
        assert stored_bodies(alice_account, group) == []
        failed.get_by_role("button", name="Retry").click()
    expect(bob.page.locator("#message-list .message-body")).to_have_text(written)
    expect(alice.page.locator("#message-list .message-body")).to_have_text(written)
    expect(pending).to_have_count(0)
    messages = stored(alice_account, group)
    assert [message["body"] for message in messages] == written
    assert {message["client_id"] for message in messages} == client_ids  # the same messages, each stored once
    wait_for(lambda: kept_outbox(alice) == [], what="the outbox emptied on disk")
    assert_nothing_went_wrong(alice, bob)


def test_messages_written_in_the_same_millisecond_go_out_in_the_order_written_after_a_reload(chat_page, api_user):
    """Files chosen together are written in one millisecond; so are these, written with the clock stopped. Kept by
    the time written alone, they came back in the order of their random client ids."""
    alice_account, _, group, alice, bob = two_in_a_group(chat_page, api_user)
    alice.context.set_offline(True)
    alice.expect_state("offline")
    alice.page.evaluate(STOP_THE_CLOCK)
    written = [f"message {number}" for number in range(1, 9)]
    for body in written:
        alice.type_and_send(body)
    wait_for(lambda: len(kept_outbox(alice)) == len(written), what="the outbox on disk")
    assert len({entry["created_at"] for entry in kept_outbox(alice)}) == 1  # all in the same millisecond

    alice.context.set_offline(False)
    reopen(alice, group)
    expect(bob.page.locator("#message-list .message-body")).to_have_text(written)
    expect(alice.page.locator("#pending-list .message")).to_have_count(0)
    assert stored_bodies(alice_account, group) == written
    assert_nothing_went_wrong(alice, bob)


def test_entries_an_earlier_version_of_the_page_kept_are_restored_and_sent_in_order(chat_page, api_user):
    """An earlier page kept neither the order nor the refusal's code: its entries come back by the time written, and
    one it had left waiting after a refusal for the moment goes again by itself, the one written after it behind."""
    alice_account, _, group, alice, bob = two_in_a_group(chat_page, api_user)
    written_at = datetime.now(UTC) - timedelta(minutes=5)
    refused = kept_entry(group, "refused while the server was down", written_at, state="failed",
                         error="The server is not available at the moment.")
    after = kept_entry(group, "written after it", written_at + timedelta(milliseconds=1), state="pending", error=None)
    keep_in_outbox(alice, [after, refused])

    reopen(alice, group)
    written = [refused["body"], after["body"]]
    expect(bob.page.locator("#message-list .message-body")).to_have_text(written)
    expect(alice.page.locator("#pending-list .message")).to_have_count(0)
    messages = stored(alice_account, group)
    assert [(message["body"], message["client_id"]) for message in messages] == [
        (entry["body"], entry["client_id"]) for entry in (refused, after)]
    wait_for(lambda: kept_outbox(alice) == [], what="the outbox emptied on disk")
    assert_nothing_went_wrong(alice, bob)


@pytest.mark.parametrize("page", ["this page", "an earlier page"])
def test_after_a_reload_a_file_refused_for_good_still_waits_for_its_discard_and_holds_nothing_back(
        chat_page, api_user, page):
    """Its file was removed before its message was stored: sending it again cannot work, so the next load does not,
    and offers only Discard, while what was written after it goes; also when kept by an earlier page, without the
    refusal's code (its `retryable` false says it). (Its file exists here: sent again, it would have been stored
    before the text.)"""
    alice_account, _, group, alice, bob = two_in_a_group(chat_page, api_user)
    upload = alice_account.api("POST", f"/conversations/{group}/files",
                               files={"file": ("minutes.pdf", PDF_BYTES, "application/pdf")})
    assert upload.status_code == 201, upload.text
    written_at = datetime.now(UTC)
    removed = kept_entry(group, "", written_at, state="failed", error="This file was removed.", retryable=False,
                         attachment_id=upload.json()["attachment"]["id"], fileName="minutes.pdf",
                         fileSize=len(PDF_BYTES))
    after = kept_entry(group, "written after it", written_at + timedelta(milliseconds=1), state="pending", error=None)
    if page == "this page":  # what this version keeps besides
        order = int(written_at.timestamp() * 1000)
        removed |= {"order": order, "error_code": "file_removed"}
        after |= {"order": order + 1, "error_code": None}
    keep_in_outbox(alice, [removed, after])

    reopen(alice, group)
    expect(bob.page.locator("#message-list .message-body")).to_have_text(["written after it"])
    failed = alice.page.locator("#pending-list .message.failed")
    expect(failed.locator(".attachment-name")).to_have_text("minutes.pdf")
    expect(failed.locator(".message-error")).to_have_text("This file was removed.")
    expect(failed.get_by_role("button", name="Retry")).to_have_count(0)
    assert [(message["body"], message["attachment"]) for message in stored(alice_account, group)] == [
        ("written after it", None)]
    failed.get_by_role("button", name="Discard").click()
    expect(alice.page.locator("#pending-list .message")).to_have_count(0)
    wait_for(lambda: kept_outbox(alice) == [], what="the outbox emptied on disk")
    assert_nothing_went_wrong(alice, bob)


def test_closing_the_tab_while_a_file_waits_to_be_uploaded_again_asks_first(chat_page, api_user):
    """Its upload refused for the moment (storage_unavailable), the file is tried again by itself, by this page only
    (its bytes are not kept on disk): closing the tab asks first, as while anything else is not sent yet."""
    _, _, alice = alone_in_a_group(chat_page, api_user)
    alice.page.route("**/api/conversations/*/files", lambda route: route.fulfill(
        status=503, content_type="application/json",
        body='{"error": {"code": "storage_unavailable", "message": "Storage is unavailable."}}'))
    alice.page.set_input_files("#file-input", files=[
        {"name": "minutes.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}])
    alice.send_chosen_files()
    failed = alice.page.locator("#pending-list .message.failed")
    expect(failed.locator(".attachment-name")).to_have_text("minutes.pdf")

    with alice.page.expect_event("dialog") as warning:
        alice.page.close(run_before_unload=True)
    assert warning.value.type == "beforeunload"
    expect(failed).to_have_count(1)  # dismissed by ChatPage.watch: the page stays
    alice.dialogs.clear()
    assert_nothing_went_wrong(alice)
