"""The composer and the outbox in a real browser against the real server: each conversation keeps its
own draft (across switches, reloads and an ended session, not a logout), an over-long message is
refused before sending and a refused one comes back to the composer, unsent messages survive closing
the tab, a deactivated user's page says why, and the small things around them (issue 8)."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    alone_in_a_group,
    assert_nothing_went_wrong,
    group_with,
    intercept_sends,
    kept_outbox,
    post,
    reopen,
    stored_bodies,
    two_in_a_group,
)
from tests.files.samples import ELF_BYTES
from tests.servers import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]

MAX_LENGTH = 4000  # MESSAGE_MAX_LENGTH's default, which the test server keeps

DRAFT_KEYS = "Object.keys(localStorage).filter((key) => key.startsWith('switchboard.draft.'))"

# Every message:send reaches the server, but no ack and no message:new come back to this page.
LOSE_ACKS = """() => {
  const socket = window.switchboardSocket;
  const emit = socket.emit.bind(socket);
  socket.emit = (event, payload, ack) =>
    event === "message:send" ? emit(event, payload, () => {}) : emit(event, payload, ack);
  const onevent = socket.onevent.bind(socket);
  socket.onevent = (packet) => packet.data?.[0] === "message:new" ? undefined : onevent(packet);
}"""


def composer(chat):
    return chat.page.locator("#composer-input")


def kept_bodies(chat) -> dict[str, str]:
    """The outbox on disk as {client_id: body}."""
    return {entry["client_id"]: entry["body"] for entry in kept_outbox(chat)}


def test_each_conversation_keeps_its_own_draft_across_switches_and_reloads(chat_page, api_user):
    alice_account, bob = api_user("al"), api_user("bob")
    garden, kitchen = group_with(alice_account, bob)["id"], group_with(alice_account, bob)["id"]
    question = post(bob, garden, "who waters the roses?")
    alice = chat_page()
    alice.log_in(alice_account.username)

    alice.open(garden)
    composer(alice).fill("half a thought for the garden")
    answered = alice.page.locator(f"#message-list .message[data-id='{question['id']}']")
    answered.hover()
    answered.get_by_role("button", name="Reply to message").click()
    expect(alice.page.locator("#reply-bar")).to_contain_text("who waters the roses?")

    alice.open(kitchen)  # the garden's text and reply do not follow
    expect(composer(alice)).to_have_value("")
    expect(alice.page.locator("#reply-bar")).to_be_hidden()
    composer(alice).fill("kitchen plans")
    alice.open(garden)
    expect(composer(alice)).to_have_value("half a thought for the garden")
    expect(alice.page.locator("#reply-bar")).to_contain_text("who waters the roses?")

    alice.page.reload()
    alice.expect_state("online")
    alice.open(kitchen)
    expect(composer(alice)).to_have_value("kitchen plans")
    alice.open(garden)
    expect(composer(alice)).to_have_value("half a thought for the garden")
    expect(alice.page.locator("#reply-bar")).to_contain_text("who waters the roses?")

    # Enter sends the garden's draft to the garden only, as the answer; its draft is gone then.
    alice.page.press("#composer-input", "Enter")
    expect(alice.message_with("half a thought for the garden")).to_have_count(1)
    expect(alice.page.locator("#message-list .message.own .reply-quote")).to_contain_text("who waters the roses?")
    assert stored_bodies(bob, kitchen) == []
    alice.page.reload()
    alice.expect_state("online")
    alice.open(garden)
    expect(composer(alice)).to_have_value("")
    expect(alice.page.locator("#reply-bar")).to_be_hidden()
    alice.open(kitchen)
    expect(composer(alice)).to_have_value("kitchen plans")

    # Logging out clears this user's drafts from the browser.
    alice.page.click("#logout-button")
    expect(alice.page.locator("#login-form")).to_be_visible()
    alice.log_in(alice_account.username)
    alice.open(kitchen)
    expect(composer(alice)).to_have_value("")
    assert alice.page.evaluate(DRAFT_KEYS) == []
    assert_nothing_went_wrong(alice)


def test_a_logout_elsewhere_in_the_browser_clears_the_drafts(chat_page, api_user):
    account, group, alice = alone_in_a_group(chat_page, api_user)
    composer(alice).fill("not for the next person at this computer")
    assert alice.page.evaluate(DRAFT_KEYS) != []

    # Logged out by a plain form post of this browser (another page's "Log out", not the chat's).
    token = alice.page.locator('meta[name="csrf-token"]').get_attribute("content")
    logged_out = alice.context.request.post(alice.base_url + "/logout", form={"csrf_token": token},
                                            max_redirects=0)
    assert logged_out.status == 302
    expect(alice.page.locator("#session-ended-text")).to_have_text(
        "You logged out in another tab, so this page was signed out.")
    assert alice.page.evaluate(DRAFT_KEYS) == []
    alice.log_in(account.username)
    alice.open(group)
    expect(composer(alice)).to_have_value("")
    assert_nothing_went_wrong(alice)


def test_an_over_long_message_is_refused_before_sending_and_keeps_its_text(chat_page, api_user):
    account, group, alice = alone_in_a_group(chat_page, api_user)
    counter = alice.page.locator("#composer-counter")

    composer(alice).fill("a" * 100)
    expect(counter).to_be_hidden()  # far from the limit: no counter
    composer(alice).fill("a" * (MAX_LENGTH - 10))
    expect(counter).to_have_text("10 left")
    long_text = "b" * 4500
    composer(alice).fill(long_text)
    expect(counter).to_have_text("500 too many")
    alice.page.press("#composer-input", "Enter")
    expect(alice.page.locator("#composer-error")).to_have_text(
        "This message is too long: 4500 characters, at most 4000. Shorten it or send it in parts.")
    expect(composer(alice)).to_have_value(long_text)  # nothing lost
    expect(alice.page.locator("#pending-list .message")).to_have_count(0)

    # Shortened to the limit, it goes.
    composer(alice).fill("c" * MAX_LENGTH)
    expect(alice.page.locator("#composer-error")).to_be_hidden()
    alice.page.press("#composer-input", "Enter")
    expect(alice.messages).to_have_count(1)
    expect(composer(alice)).to_have_value("")
    assert stored_bodies(account, group) == ["c" * MAX_LENGTH]
    assert_nothing_went_wrong(alice)


def test_a_message_the_server_refuses_goes_back_to_the_composer(chat_page, api_user):
    account, group, alice = alone_in_a_group(chat_page, api_user)
    question = post(account, group, "who rang?")
    expect(alice.message_with("who rang?")).to_have_count(1)
    asked = alice.page.locator(f"#message-list .message[data-id='{question['id']}']")
    asked.hover()
    asked.get_by_role("button", name="Reply to message").click()

    refused = "a bell \u0007 rings"  # control characters are refused by the server, not by the page
    composer(alice).fill(refused)
    alice.page.press("#composer-input", "Enter")
    expect(alice.page.locator("#composer-error")).to_be_visible()
    expect(composer(alice)).to_have_value(refused)
    expect(alice.page.locator("#reply-bar")).to_contain_text("who rang?")  # the answer's target too
    expect(alice.page.locator("#pending-list .message")).to_have_count(0)  # no dead-end bubble
    expect(alice.page.locator("#toast-region")).not_to_be_empty()
    assert stored_bodies(account, group) == ["who rang?"]

    composer(alice).fill("a bell rings")  # corrected, it goes, as the answer
    alice.page.press("#composer-input", "Enter")
    expect(alice.message_with("a bell rings")).to_have_count(1)
    expect(alice.page.locator("#message-list .message.own .reply-quote")).to_contain_text("who rang?")
    expect(alice.page.locator("#composer-error")).to_be_hidden()
    assert stored_bodies(account, group) == ["who rang?", "a bell rings"]
    assert_nothing_went_wrong(alice)


def test_a_reply_refused_because_its_original_was_deleted_comes_back_without_it(chat_page, api_user):
    # The original is deleted while the answer is on its way: refused message_removed, the text goes back
    # to the composer, but not a reply bar to the deleted message (the next send would be refused again).
    account, group, alice = alone_in_a_group(chat_page, api_user)
    question = post(account, group, "who knocked?")
    asked = alice.page.locator(f"#message-list .message[data-id='{question['id']}']")
    asked.hover()
    asked.get_by_role("button", name="Reply to message").click()
    # The first send waits for releaseSend(); later ones go at once.
    intercept_sends(alice, "(payload, ack, send) => window.releaseSend ? send() : (window.releaseSend = send)")
    composer(alice).fill("nobody")
    alice.page.press("#composer-input", "Enter")
    alice.page.wait_for_function("() => typeof window.releaseSend === 'function'")
    assert account.api("DELETE", f"/messages/{question['id']}").status_code == 200
    expect(asked).to_have_class(re.compile(r"\bremoved\b"))
    alice.page.evaluate("window.releaseSend()")

    expect(alice.page.locator("#composer-error")).to_be_visible()
    expect(composer(alice)).to_have_value("nobody")
    expect(alice.page.locator("#reply-bar")).to_be_hidden()
    alice.page.press("#composer-input", "Enter")  # sent again: a plain message now
    expect(alice.message_with("nobody")).to_have_count(1)
    assert stored_bodies(account, group) == ["", "nobody"]
    assert_nothing_went_wrong(alice)


def test_a_file_refused_for_its_type_offers_no_retry(chat_page, api_user):
    account, group, alice = alone_in_a_group(chat_page, api_user)

    alice.page.set_input_files("#file-input", files=[
        {"name": "tool.png", "mimeType": "image/png", "buffer": ELF_BYTES}])
    alice.send_chosen_files()
    failed = alice.page.locator("#pending-list .message.failed")
    expect(failed.locator(".message-error")).not_to_be_empty()
    expect(failed.get_by_role("button", name="Discard")).to_be_visible()
    expect(failed.get_by_role("button", name="Retry")).to_have_count(0)
    failed.get_by_role("button", name="Discard").click()
    expect(failed).to_have_count(0)
    assert_nothing_went_wrong(alice)


def test_messages_written_offline_survive_closing_the_tab_and_arrive_once(chat_page, api_user):
    alice_account, bob_account, group, alice, bob = two_in_a_group(chat_page, api_user)

    alice.context.set_offline(True)
    alice.expect_state("offline")
    alice.type_and_send("written on the train")
    alice.type_and_send("and another one")
    expect(alice.page.locator("#pending-list .message")).to_have_count(2)
    wait_for(lambda: sorted(kept_bodies(alice).values()) == ["and another one", "written on the train"],
             what="the outbox on disk")
    client_ids = set(kept_bodies(alice))

    # Closing asks first while something is unsent (dismissed: the page stays).
    with alice.page.expect_event("dialog") as warning:
        alice.page.close(run_before_unload=True)
    assert warning.value.type == "beforeunload"
    expect(alice.page.locator("#pending-list .message")).to_have_count(2)  # dismissed by ChatPage.watch
    alice.dialogs.clear()
    alice.context.set_offline(False)
    reopen(alice, group)
    expect(alice.page.locator("#pending-list .message")).to_have_count(0)
    expect(alice.page.locator("#message-list .message-body")).to_have_text(["written on the train", "and another one"])
    expect(bob.page.locator("#message-list .message-body")).to_have_text(["written on the train", "and another one"])
    stored = alice_account.api("GET", f"/conversations/{group}/messages", params={"after": 0}).json()["messages"]
    assert [message["body"] for message in stored] == ["written on the train", "and another one"]
    assert {message["client_id"] for message in stored} == client_ids  # the same client ids
    wait_for(lambda: kept_bodies(alice) == {}, what="the outbox emptied on disk")
    assert_nothing_went_wrong(alice, bob)


def test_a_message_stored_before_the_tab_closed_is_not_sent_twice(chat_page, api_user):
    """The server stored it but its answer never came: the next page sends it again with its client
    id, and the server's idempotency keeps one copy, shown once on both sides."""
    alice_account, bob_account, group, alice, bob = two_in_a_group(chat_page, api_user)
    alice.page.evaluate(LOSE_ACKS)

    alice.type_and_send("did this arrive?")
    wait_for(lambda: stored_bodies(alice_account, group) == ["did this arrive?"], what="the stored message")
    expect(bob.message_with("did this arrive?")).to_have_count(1)
    expect(alice.page.locator("#pending-list .message")).to_have_count(1)
    wait_for(lambda: list(kept_bodies(alice).values()) == ["did this arrive?"], what="the outbox on disk")
    reopen(alice, group)
    wait_for(lambda: kept_bodies(alice) == {}, what="the outbox emptied on disk")
    expect(alice.page.locator("#pending-list .message")).to_have_count(0)
    expect(alice.message_with("did this arrive?")).to_have_count(1)
    bob.type_and_send("yes, once")  # a later marker: had a second copy come, it would be before it
    expect(alice.message_with("yes, once")).to_have_count(1)
    expect(bob.page.locator("#message-list .message-body")).to_have_text(["did this arrive?", "yes, once"])
    assert stored_bodies(alice_account, group) == ["did this arrive?", "yes, once"]
    assert_nothing_went_wrong(alice, bob)


def test_a_deactivated_users_page_says_why_and_keeps_the_draft(chat_page, api_user, operator):
    account, group, alice = alone_in_a_group(chat_page, api_user)
    composer(alice).fill("a thought I must not lose")

    operator.admin_api(f"/users/{account.id}/deactivate", status=200)
    notice = alice.page.locator("#session-ended")
    expect(notice).to_be_visible()
    expect(alice.page.locator("#session-ended-text")).to_have_text(
        "An operator deactivated your account, so you were signed out. Your drafts are kept in this browser.")
    alice.expect_state("offline")
    # The page's own requests are refused now: it stays, with the text, instead of going to the login page.
    refusal = alice.page.evaluate("window.switchboard.refreshConversations().then(() => 'ok', (error) => error.status)")
    assert refusal == 401
    alice.page.evaluate("fetch('/login').then((response) => response.text())")  # time for a navigation to start
    assert alice.page.url == alice.base_url + f"/#c{group}"
    expect(composer(alice)).to_have_value("a thought I must not lose")

    operator.admin_api(f"/users/{account.id}/reactivate", status=200)
    notice.get_by_role("link", name="Log in again").click()
    alice.log_in(account.username)
    alice.open(group)
    expect(composer(alice)).to_have_value("a thought I must not lose")
    assert_nothing_went_wrong(alice)


def test_a_suspended_users_page_says_until_when_and_why(chat_page, api_user, operator):
    account, group, alice = alone_in_a_group(chat_page, api_user)
    composer(alice).fill("see you next week")

    operator.admin_api(f"/users/{account.id}/suspend", {"until": "2099-03-01T12:00:00Z",
                                                         "reason": "Links posted in every group"}, status=200)
    expect(alice.page.locator("#session-ended")).to_be_visible()
    text = alice.page.locator("#session-ended-text")
    expect(text).to_contain_text("An operator suspended your account, so you were signed out.")
    expect(text).to_contain_text("Suspended until Mar 1, 2099")  # in the browser's locale (en-US) and zone
    expect(text).to_contain_text("Reason: Links posted in every group")
    alice.expect_state("offline")
    assert alice.page.url == alice.base_url + f"/#c{group}"
    expect(composer(alice)).to_have_value("see you next week")
    assert_nothing_went_wrong(alice)


def test_an_empty_filter_result_says_so(chat_page, api_user):
    account, group, alice = alone_in_a_group(chat_page, api_user)
    title = account.api("GET", f"/conversations/{group}").json()["conversation"]["title"]
    empty = alice.page.locator("#conversation-empty")
    expect(empty).to_be_hidden()

    alice.page.fill("#conversation-filter", f"nothing-{uuid.uuid4().hex[:6]}")
    expect(alice.page.locator("#conversation-list .conversation")).to_have_count(0)
    expect(empty).to_be_visible()
    expect(empty).to_contain_text("No conversations match")
    alice.page.fill("#conversation-filter", title[:6])
    expect(alice.conversation(group)).to_have_count(1)
    expect(empty).to_be_hidden()
    assert_nothing_went_wrong(alice)
