"""The chat page in a real browser against the real server: live messages between two people,
user text shown as text, the composer's keys, loading older history, and catching up after
the connection comes back."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    assert_nothing_went_wrong,
    expect_signed_out_notice,
    group_with,
    open_as,
    page_user_id,
    post,
    stored_bodies,
    two_in_a_group,
)
from tests.files.samples import ELF_BYTES, PDF_BYTES, png_bytes
from tests.servers import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]

MARKUP = "<img src=x onerror=alert(1)>"


def test_two_people_chat_live_in_a_group_and_directly(chat_page, api_user):
    alice = chat_page()
    alice.register(f"al{uuid.uuid4().hex[:8]}", "Alice Example")
    bob_account = api_user("bob")
    bob = chat_page()
    bob.log_in(bob_account.username)

    # Alice creates a public group through the dialog; it opens at once.
    group_name = f"Garden club {uuid.uuid4().hex[:4]}"
    alice.page.click("#new-group-button")
    alice.page.fill("#group-name", group_name)
    alice.page.fill("#group-description", "Seeds & soil")
    alice.page.click("#create-group-submit")
    expect(alice.page.locator("#conversation-title")).to_have_text(group_name)
    group_id = int(alice.page.locator("#conversation-list .conversation.active").get_attribute("data-conversation-id"))

    # Bob finds it and joins; Alice's header counts him without a reload.
    bob.page.click("#join-group-button")
    bob.page.fill("#group-search", group_name)
    bob.page.locator(f"#group-results .result[data-group-id='{group_id}']").get_by_role(
        "button", name="Join", exact=True).click()
    expect(bob.page.locator("#conversation-title")).to_have_text(group_name)
    expect(alice.page.locator("#conversation-presence")).to_contain_text("2 members")

    alice.type_and_send("Hello Bob, welcome to the club!")
    expect(bob.message_with("Hello Bob, welcome to the club!")).to_have_count(1)
    expect(bob.messages.last.locator(".message-sender")).to_have_text("Alice Example")
    bob.type_and_send("Thanks Alice")
    expect(alice.message_with("Thanks Alice")).to_have_count(1)
    expect(alice.message_with("Hello Bob, welcome to the club!")).to_have_count(1)
    expect(alice.page.locator("#pending-list .message")).to_have_count(0)

    # Bob starts a direct chat; it appears in Alice's sidebar, unread, while she is in the group.
    bob.page.click("#new-direct-button")
    bob.page.fill("#user-search", "Alice Example")
    bob.page.locator(f"#user-results .result[data-user-id='{page_user_id(alice)}'] button").click()
    expect(bob.page.locator("#conversation-title")).to_have_text("Alice Example")
    bob.type_and_send("Psst, a direct word")
    direct_id = int(bob.page.locator("#conversation-list .conversation.active").get_attribute("data-conversation-id"))
    direct_entry = alice.conversation(direct_id)
    expect(direct_entry.locator(".unread-badge")).to_have_text("1")
    expect(direct_entry.locator(".conversation-preview")).to_have_text("Psst, a direct word")
    expect(alice.page.locator("#conversation-list .conversation").first).to_have_attribute(
        "data-conversation-id", str(direct_id))  # latest activity first

    alice.open(direct_id)
    expect(alice.message_with("Psst, a direct word")).to_have_count(1)
    expect(direct_entry.locator(".unread-badge")).to_have_count(0)
    alice.type_and_send("Got it")
    expect(bob.message_with("Got it")).to_have_count(1)
    assert_nothing_went_wrong(alice, bob)


def test_markup_in_messages_is_shown_as_text(chat_page, api_user):
    alice_account, bob_account = api_user("al"), api_user("bob")
    group = group_with(alice_account, bob_account)
    post(bob_account, group["id"], "from history: " + MARKUP)
    alice, bob = chat_page(), chat_page()
    alice.log_in(alice_account.username)
    bob.log_in(bob_account.username)
    alice.open(group["id"])
    bob.open(group["id"])

    alice.type_and_send(MARKUP)
    expect(bob.message_with(MARKUP)).to_have_count(2)
    expect(bob.messages.last.locator(".message-body")).to_have_text(MARKUP)
    expect(alice.messages.last.locator(".message-body")).to_have_text(MARKUP)
    expect(bob.conversation(group["id"]).locator(".conversation-preview")).to_contain_text(MARKUP)
    for chat in (alice, bob):
        # No element was made from the message text anywhere on the page (the page's own pictures of
        # people are <img>s: what would betray the markup is its src=x or an onerror attribute) ...
        expect(chat.page.locator("img[src='x'], [onerror]")).to_have_count(0)
        # ... and every place showing it holds it as text, with no element inside.
        shown = chat.page.locator("#message-list .message-body, #conversation-list .conversation-preview",
                                  has_text=MARKUP)
        expect(shown).to_have_count(3)  # both messages and the sidebar's preview
        assert shown.evaluate_all("(nodes) => nodes.filter((node) => node.childElementCount > 0)"
                                  ".map((node) => node.outerHTML)") == []

    # One more round trip, so an alert from the markup would have fired by now.
    bob.type_and_send("still here")
    expect(alice.message_with("still here")).to_have_count(1)
    assert_nothing_went_wrong(alice, bob)


def test_shift_enter_adds_a_line_and_enter_sends(chat_page, api_user):
    account = api_user("al")
    group = group_with(account)
    alice = open_as(chat_page, account, group["id"])

    composer = alice.page.locator("#composer-input")
    composer.click()
    alice.page.keyboard.type("line one")
    alice.page.keyboard.press("Shift+Enter")
    alice.page.keyboard.type("line two")
    expect(composer).to_have_value("line one\nline two")
    expect(alice.page.locator(".message")).to_have_count(0)

    alice.page.keyboard.press("Enter")
    expect(alice.messages).to_have_count(1)
    expect(composer).to_have_value("")
    assert alice.messages.first.locator(".message-body").inner_text() == "line one\nline two"
    assert stored_bodies(account, group["id"]) == ["line one\nline two"]
    assert_nothing_went_wrong(alice)


def test_scrolling_up_loads_older_messages_each_once(chat_page, api_user):
    account = api_user("al")
    group = group_with(account)
    for number in range(1, 121):
        post(account, group["id"], f"seeded {number:03d}")
    alice = open_as(chat_page, account, group["id"])
    expect(alice.messages).to_have_count(50)
    assert alice.shown_seqs() == list(range(71, 121))

    scroller = alice.page.locator("#message-scroller")
    for expected in (100, 120):
        scroller.evaluate("element => { element.scrollTop = 0; }")
        expect(alice.messages).to_have_count(expected)
    expect(alice.page.locator("#history-status")).to_have_text("This is the beginning of the conversation.")
    scroller.evaluate("element => { element.scrollTop = 0; }")
    assert alice.shown_seqs() == list(range(1, 121))
    bodies = alice.page.locator("#message-list .message-body").all_inner_texts()
    assert bodies == [f"seeded {number:03d}" for number in range(1, 121)]
    assert_nothing_went_wrong(alice)


def test_after_a_reconnect_missed_changes_appear_once(chat_page, api_user):
    alice_account, bob_account = api_user("al"), api_user("bob")
    group = group_with(alice_account, bob_account)
    first = post(bob_account, group["id"], "before one")
    second = post(bob_account, group["id"], "before two")
    alice = open_as(chat_page, alice_account, group["id"])
    expect(alice.messages).to_have_count(2)

    alice.context.set_offline(True)
    alice.expect_state("offline")
    expect(alice.page.locator("#offline-banner")).to_be_visible()
    post(bob_account, group["id"], "while away one")
    post(bob_account, group["id"], "while away two")
    assert bob_account.api("PATCH", f"/messages/{first['id']}", json={"body": "before one, edited"}).ok
    assert bob_account.api("DELETE", f"/messages/{second['id']}").ok

    # Nothing else happens in the conversation: only the resync can bring these.
    alice.context.set_offline(False)
    alice.expect_state("online")
    expect(alice.messages).to_have_count(4)
    expect(alice.message_with("while away two")).to_have_count(1)
    assert alice.page.locator("#message-list .message-body").all_inner_texts() == [
        "before one, edited", "message deleted", "while away one", "while away two"]
    expect(alice.messages.first.locator(".message-edited")).to_have_count(1)
    assert alice.shown_seqs() == [1, 2, 3, 4]

    # Live again: the next message arrives once, without a reload.
    post(bob_account, group["id"], "after the reconnect")
    expect(alice.message_with("after the reconnect")).to_have_count(1)
    assert alice.shown_seqs() == [1, 2, 3, 4, 5]
    assert_nothing_went_wrong(alice)


def test_a_message_written_offline_is_sent_once_when_back_online(chat_page, api_user):
    _, bob_account, group, alice, bob = two_in_a_group(chat_page, api_user)

    alice.page.evaluate("window.switchboardSocket.disconnect()")
    alice.expect_state("offline")
    bob.type_and_send("did you get this?")
    alice.type_and_send("written offline")
    pending = alice.page.locator("#pending-list .message")
    expect(pending).to_have_count(1)
    expect(pending.locator(".message-pending-note")).to_have_text("sending…")

    alice.page.evaluate("window.switchboardSocket.connect()")
    alice.expect_state("online")
    expect(pending).to_have_count(0)
    expect(alice.messages).to_have_count(2)
    assert alice.page.locator("#message-list .message-body").all_inner_texts() == [
        "did you get this?", "written offline"]
    expect(bob.message_with("written offline")).to_have_count(1)
    assert stored_bodies(bob_account, group) == ["did you get this?", "written offline"]
    assert_nothing_went_wrong(alice, bob)


def test_reading_in_one_tab_clears_the_badge_in_the_other(chat_page, api_user):
    alice_account, bob_account = api_user("al"), api_user("bob")
    group = group_with(alice_account, bob_account)
    first_tab = chat_page()
    first_tab.log_in(alice_account.username)
    second_tab = first_tab.context.new_page()
    second_tab.goto(first_tab.base_url + "/")
    expect(second_tab.locator("#connection-status")).to_have_attribute("data-state", "online")

    post(bob_account, group["id"], "are you there?")
    expect(first_tab.conversation(group["id"]).locator(".unread-badge")).to_have_text("1")
    second_badge = second_tab.locator(f".conversation[data-conversation-id='{group['id']}'] .unread-badge")
    expect(second_badge).to_have_text("1")

    first_tab.open(group["id"])
    expect(first_tab.message_with("are you there?")).to_have_count(1)
    expect(second_badge).to_have_count(0)
    assert_nothing_went_wrong(first_tab)


def test_a_refused_message_and_a_refused_form_show_the_servers_error(chat_page, api_user):
    account = api_user("al")
    group = group_with(account)
    alice = open_as(chat_page, account, group["id"])

    # Refused by the server (the page checks only the length): the text comes back to the composer.
    alice.type_and_send("a bell \u0007 rings")
    expect(alice.page.locator("#composer-error")).to_have_text(
        "body must not contain control characters or unpaired surrogates (newlines and tabs are allowed).")
    expect(alice.page.locator("#toast-region")).to_contain_text("body must not contain control characters")
    expect(alice.page.locator("#composer-input")).to_have_value("a bell \u0007 rings")
    expect(alice.page.locator("#pending-list .message")).to_have_count(0)
    assert stored_bodies(account, group["id"]) == []

    alice.page.click("#new-group-button")
    alice.page.fill("#group-name", "   ")
    alice.page.click("#create-group-submit")
    expect(alice.page.locator("#create-group-dialog .dialog-error")).to_have_text(
        "Give the group a name of 1 to 80 characters, without control characters.")  # not "name must not be empty."
    assert_nothing_went_wrong(alice)


def test_renaming_leaving_and_removal_reach_the_page_live(chat_page, api_user):
    alice_account, bob_account = api_user("al"), api_user("bob")
    kept, left = group_with(alice_account, bob_account), group_with(alice_account, bob_account)
    bob = open_as(chat_page, bob_account, kept["id"])

    renamed = alice_account.api("PATCH", f"/groups/{kept['id']}", json={"name": "Renamed team"})
    assert renamed.ok, renamed.text
    expect(bob.page.locator("#conversation-title")).to_have_text("Renamed team")
    expect(bob.conversation(kept["id"]).locator(".conversation-title")).to_have_text("Renamed team")

    bob.open(left["id"])
    bob.page.click("#leave-button")
    bob.page.click("#confirm-button")
    expect(bob.conversation(left["id"])).to_have_count(0)
    expect(bob.page.locator("#conversation-view")).to_be_hidden()
    members = alice_account.api("GET", f"/conversations/{left['id']}/members").json()["members"]
    assert [member["id"] for member in members] == [alice_account.id]

    bob.open(kept["id"])
    removed = alice_account.api("DELETE", f"/groups/{kept['id']}/members/{bob_account.id}")
    assert removed.ok, removed.text
    expect(bob.conversation(kept["id"])).to_have_count(0)
    expect(bob.page.locator("#conversation-view")).to_be_hidden()
    expect(bob.page.locator("#toast-region")).to_contain_text("no longer a member of Renamed team")

    bob.page.click("#logout-button")
    expect(bob.page).to_have_url(bob.base_url + "/login")
    assert_nothing_went_wrong(bob)


def test_editing_and_deleting_own_messages_shows_live_for_others(chat_page, api_user):
    _, _, group, alice, bob = two_in_a_group(chat_page, api_user)
    alice.type_and_send("first draft")
    alice.type_and_send("to be deleted")
    expect(bob.messages).to_have_count(2)
    assert bob.messages.first.get_by_role("button", name="Edit message").count() == 0  # not his to edit

    alice.messages.first.hover()
    alice.messages.first.get_by_role("button", name="Edit message").click()
    alice.page.fill("#edit-input", "final <b>text</b>")
    alice.page.locator("#edit-form button[type=submit]").click()
    expect(bob.messages.first.locator(".message-body")).to_have_text("final <b>text</b>")
    expect(bob.messages.first.locator(".message-edited")).to_have_count(1)

    alice.messages.last.hover()
    alice.messages.last.get_by_role("button", name="Delete message").click()
    alice.page.click("#confirm-button")
    expect(bob.messages.last.locator(".message-body")).to_have_text("message deleted")
    expect(alice.messages.last.locator(".message-body")).to_have_text("message deleted")
    expect(bob.messages).to_have_count(2)
    assert_nothing_went_wrong(alice, bob)


LOSE_FIRST_ACK = """() => {
  // The first message:send reaches the server, but its ack and its message:new never come back.
  const socket = window.switchboardSocket;
  const emit = socket.emit.bind(socket);
  socket.emit = (event, payload, ack) => {
    if (event === "message:send" && !window.lostClientId) {
      window.lostClientId = payload.client_id;
      return emit(event, payload, () => {});
    }
    return emit(event, payload, ack);
  };
  const onevent = socket.onevent.bind(socket);
  socket.onevent = (packet) => {
    const [name, payload] = packet.data || [];
    if (name === "message:new" && payload?.message?.client_id === window.lostClientId) return;
    onevent(packet);
  };
}"""


def test_a_message_whose_ack_was_lost_shows_once_after_reconnect(chat_page, api_user):
    account = api_user("al")
    group = group_with(account)
    alice = open_as(chat_page, account, group["id"])
    alice.page.evaluate(LOSE_FIRST_ACK)

    alice.type_and_send("did this arrive?")
    wait_for(lambda: stored_bodies(account, group["id"]) == ["did this arrive?"], what="the stored message")
    expect(alice.page.locator("#pending-list .message")).to_have_count(1)
    expect(alice.messages).to_have_count(0)

    alice.page.evaluate("window.switchboardSocket.io.engine.close()")  # the transport drops; socket.io reconnects
    expect(alice.page.locator("#pending-list .message")).to_have_count(0)
    expect(alice.messages).to_have_count(1)
    expect(alice.message_with("did this arrive?")).to_have_count(1)
    alice.expect_state("online")
    alice.type_and_send("and this one")
    expect(alice.messages).to_have_count(2)
    assert stored_bodies(account, group["id"]) == ["did this arrive?", "and this one"]
    assert_nothing_went_wrong(alice)


def test_attached_files_are_uploaded_sent_and_shown_to_both(chat_page, api_user):
    _, _, group, alice, bob = two_in_a_group(chat_page, api_user)

    alice.page.set_input_files("#file-input", files=[
        {"name": "notes <b>.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES},
        {"name": "red.png", "mimeType": "image/png", "buffer": png_bytes(400, 300)},
    ])
    alice.send_chosen_files()
    expect(bob.messages).to_have_count(2)
    expect(alice.messages).to_have_count(2)
    expect(alice.page.locator("#pending-list .message")).to_have_count(0)
    for chat in (alice, bob):
        expect(chat.page.locator("#message-list .attachment-name")).to_have_text(["notes <b>.pdf", "red.png"])
        thumbnail = chat.page.locator("#message-list img.attachment-image")
        expect(thumbnail).to_have_count(1)
        wait_for(lambda chat=chat: chat.page.locator("#message-list img.attachment-image").evaluate(
            "image => image.complete && image.naturalWidth") == 320, what="the thumbnail")
    expect(bob.conversation(group).locator(".conversation-preview")).to_contain_text("Photo: red.png")

    alice.page.set_input_files("#file-input", files=[
        {"name": "tool.png", "mimeType": "image/png", "buffer": ELF_BYTES}])
    alice.send_chosen_files()
    failed = alice.page.locator("#pending-list .message.failed")
    expect(failed.locator(".attachment-name")).to_have_text("tool.png")
    expect(failed.locator(".message-error")).not_to_be_empty()
    expect(bob.messages).to_have_count(2)
    assert_nothing_went_wrong(alice, bob)


def log_out_in_another_tab(chat) -> None:
    other_tab = chat.context.new_page()
    other_tab.goto(chat.base_url + "/")
    other_tab.click("#logout-button")
    # The logout's redirect, or the tab's own requests still loading being refused (api.js): both
    # end on the login page.
    expect(other_tab).to_have_url(re.compile(re.escape(chat.base_url) + r"/login(\?next=%2F)?$"))
    other_tab.close()


def test_a_page_whose_session_ended_says_so_and_offers_the_login_page(chat_page, api_user):
    account = api_user("al")
    chat = chat_page()
    chat.log_in(account.username)
    log_out_in_another_tab(chat)

    expect_signed_out_notice(chat, "You logged out in another tab, so this page was signed out.")  # session:ended
    expect(chat.page).to_have_url(chat.base_url + "/login")
    assert_nothing_went_wrong(chat)


def test_a_page_whose_session_ended_goes_to_the_login_page(chat_page, api_user):
    """A page that was not connected when its session ended (no session:ended reached it) finds out
    when its reconnect is refused, and goes to the login page."""
    account = api_user("al")
    chat = chat_page()
    chat.log_in(account.username)
    chat.page.evaluate("window.switchboardSocket.disconnect()")
    chat.expect_state("offline")
    log_out_in_another_tab(chat)

    chat.page.evaluate("window.switchboardSocket.connect()")  # refused now
    expect(chat.page).to_have_url(chat.base_url + "/login?next=%2F")
    expect(chat.page.locator("#session-ended")).to_have_count(0)  # the chat page is gone, not noticed
    assert_nothing_went_wrong(chat)


def test_what_operators_do_reaches_the_page_live(chat_page, api_user, operator):
    alice_account, bob_account = api_user("al"), api_user("bob")
    group = group_with(alice_account, bob_account)
    alice = open_as(chat_page, alice_account, group["id"])
    rude = post(bob_account, group["id"], "something rude")
    expect(alice.message_with("something rude")).to_have_count(1)

    operator.hide(rude["id"])
    expect(alice.messages.first.locator(".message-body")).to_have_text("removed by a moderator")
    expect(alice.message_with("something rude")).to_have_count(0)

    operator.admin_api(f"/groups/{group['id']}/broadcasts", {"body": "Please keep it civil."})
    notice = alice.page.locator("#message-list .message.system")
    expect(notice.locator(".message-body")).to_have_text("Please keep it civil.")
    expect(notice.locator(".message-sender")).to_have_text("Switchboard")

    sent = operator.admin_api(f"/users/{alice_account.id}/notices", {"body": "Your account is fine."})
    notices_id = sent["messages"][0]["conversation_id"]
    expect(alice.conversation(notices_id).locator(".unread-badge")).to_have_text("1")
    alice.open(notices_id)
    expect(alice.message_with("Your account is fine.")).to_have_count(1)
    expect(alice.page.locator("#conversation-subtitle")).to_have_text("Notices from the Switchboard operators")
    expect(alice.page.locator("#read-only-note")).to_be_visible()
    expect(alice.page.locator("#composer")).to_be_hidden()
    alice.open(group["id"])
    expect(alice.page.locator("#composer")).to_be_visible()
    assert_nothing_went_wrong(alice)
