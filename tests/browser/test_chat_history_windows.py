"""The chat page's history windows in a real browser against the real server (issue 9, issue 8
item 7): a click on a quote or a search result far back loads the window around the message
(`GET /api/messages/<id>/around`), not the whole history; the window pages both ways and joins the
newest messages when they meet; live messages while it is shown land once, with the newest, and
count as unread; "Jump to latest" goes back; a resync after a reconnect reaches the window. Marking
read needs a visible, focused window; a conversation opened with 130 unread opens at its divider
and reads only what was seen."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from actions.messages import send_message
from events.unit_of_work import atomic
from extensions import db
from models import User
from tests.browser.conftest import PASSWORD
from tests.browser.helpers import assert_nothing_went_wrong, group_with, open_as, post
from tests.servers import ChatUser, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]

FILLERS = 3_000
FILLERS_PER_UNIT = 500
NEEDLE = "zebracorn"  # the search term: in one message only, about 300 messages from the end
FAR_ORIGINAL = "the far original"


def membership(user: ChatUser, conversation_id: int) -> dict:
    return user.api("GET", f"/conversations/{conversation_id}").json()["conversation"]["membership"]


def last_seq(user: ChatUser, conversation_id: int) -> int:
    newest = user.api("GET", f"/conversations/{conversation_id}/messages", params={"limit": 1}).json()["messages"]
    return newest[0]["seq"]


def post_reply(user: ChatUser, conversation_id: int, body: str, original_id: int) -> dict:
    response = user.api("POST", f"/conversations/{conversation_id}/messages",
                        json={"body": body, "reply_to": original_id, "client_id": uuid.uuid4().hex})
    assert response.status_code == 201, response.text
    return response.json()["message"]


def store_fillers(live_server, sender: ChatUser, conversation_id: int, numbers: range) -> None:
    """Messages "filler <number>" from `sender`, stored as the server stores a send (actions.messages.send_message)
    on its database, from this process: through the API, thousands of requests cost the suite half a minute of CPU.
    FILLERS_PER_UNIT to a unit of work: a unit each cost 2.5-3x the CPU."""
    with live_server.app_beside():
        for first in range(0, len(numbers), FILLERS_PER_UNIT):
            with atomic():
                for number in numbers[first:first + FILLERS_PER_UNIT]:
                    send_message(db.session.get(User, sender.id), conversation_id, f"filler {number}")


def read_all(user: ChatUser, conversation_id: int) -> None:
    assert user.api("POST", f"/conversations/{conversation_id}/read", json={"seq": last_seq(user, conversation_id)}).ok


@pytest.fixture(scope="module")
def long_chat(live_server):
    """A group of Alice and Bob with 3,000 messages and more: Bob's original first, a message with
    NEEDLE 300 from the end, Bob's reply quoting the original last. Alice has read it all."""
    alice = ChatUser.register(live_server.url, f"al{uuid.uuid4().hex[:8]}", password=PASSWORD)
    bob = ChatUser.register(live_server.url, f"bob{uuid.uuid4().hex[:8]}", password=PASSWORD)
    group = group_with(bob, alice)["id"]
    original = post(bob, group, FAR_ORIGINAL)
    store_fillers(live_server, bob, group, range(0, FILLERS - 300))
    needle = post(bob, group, f"the {NEEDLE} is here")
    store_fillers(live_server, bob, group, range(FILLERS - 300, FILLERS))
    post_reply(bob, group, "remember this?", original["id"])
    read_all(alice, group)
    return {"alice": alice, "bob": bob, "group": group, "original": original, "needle": needle}


def open_long_chat(chat_page, long_chat):
    read_all(long_chat["alice"], long_chat["group"])
    alice = chat_page()
    alice.log_in(long_chat["alice"].username)
    alice.open(long_chat["group"])
    expect(alice.message_with("remember this?")).to_be_visible()
    return alice


def scroll_to_bottom(chat) -> None:
    chat.page.locator("#message-scroller").evaluate("node => { node.scrollTop = node.scrollHeight; }")


def assert_contiguous(chat) -> list[int]:
    seqs = chat.shown_seqs()
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "the shown messages have a hole or a repeat"
    return seqs


def test_a_quote_far_back_opens_the_window_around_it_and_jump_to_latest_goes_back(chat_page, long_chat):
    group, bob = long_chat["group"], long_chat["bob"]
    alice = open_long_chat(chat_page, long_chat)
    jump = alice.page.locator("#jump-latest")
    expect(jump).to_be_hidden()

    alice.page.locator("#message-list .reply-quote", has_text=FAR_ORIGINAL).click()
    target = alice.page.locator(f"#message-list .message[data-id='{long_chat['original']['id']}']")
    expect(target).to_be_in_viewport()
    expect(target).to_have_class(re.compile(r"\bflash\b"))
    # The window around it, not 3,000 messages: one page, contiguous, starting at the conversation's start.
    seqs = assert_contiguous(alice)
    assert len(seqs) <= 60 and seqs[0] <= long_chat["original"]["seq"]
    expect(alice.page.locator("#history-status")).to_have_text("This is the beginning of the conversation.")
    expect(jump).to_be_visible()
    expect(jump).to_have_text("Jump to latest ↓")

    # A live message while the window is shown: counted unread, not put under the old messages.
    live = post(bob, group, "live while you read old ones")
    expect(alice.conversation(group).locator(".unread-badge")).to_have_text("1")
    expect(alice.conversation(group)).to_contain_text("live while you read old ones")
    expect(alice.message_with("live while you read old ones")).to_have_count(0)
    assert membership(long_chat["alice"], group)["last_read_seq"] < live["seq"]

    jump.click()
    expect(alice.message_with("live while you read old ones")).to_have_count(1)
    expect(alice.message_with("live while you read old ones")).to_be_in_viewport()
    expect(jump).to_be_hidden()
    assert len(assert_contiguous(alice)) <= 60
    wait_for(lambda: membership(long_chat["alice"], group)["last_read_seq"] == live["seq"], what="read to the end")
    expect(alice.conversation(group).locator(".unread-badge")).to_have_count(0)
    assert_nothing_went_wrong(alice)


def test_a_search_result_far_back_pages_down_until_it_joins_the_newest(chat_page, long_chat):
    group, bob = long_chat["group"], long_chat["bob"]
    alice = open_long_chat(chat_page, long_chat)
    # The result opens its conversation from another one, at the message.
    elsewhere = group_with(bob, long_chat["alice"])["id"]
    expect(alice.conversation(elsewhere)).to_be_visible()
    alice.open(elsewhere)
    alice.page.fill("#message-search", NEEDLE)
    result = alice.page.locator("#message-search-results .search-result")
    expect(result).to_have_count(1)
    result.click()
    target = alice.page.locator(f"#message-list .message[data-id='{long_chat['needle']['id']}']")
    expect(target).to_be_in_viewport()
    seqs = assert_contiguous(alice)
    assert len(seqs) <= 60 and seqs[0] < long_chat["needle"]["seq"] < seqs[-1]
    expect(alice.page.locator("#jump-latest")).to_be_visible()

    live = post(bob, group, "arrived while detached")
    expect(alice.conversation(group).locator(".unread-badge")).to_have_text("1")
    # Scrolling down loads newer pages until the window meets the newest messages: each scroll to the
    # bottom brings the next page (the newest message shown moves on) before the next scroll.
    while not alice.message_with("arrived while detached").count():
        newest = alice.shown_seqs()[-1]
        scroll_to_bottom(alice)
        wait_for(lambda newest=newest: alice.shown_seqs()[-1] > newest, what="a newer page after scrolling down")
    expect(alice.message_with("arrived while detached")).to_have_count(1)
    seqs = assert_contiguous(alice)
    assert seqs[0] < long_chat["needle"]["seq"] and seqs[-1] == live["seq"]
    assert len(seqs) < 500  # the ~300 below the result, not the 3,000
    expect(alice.page.locator("#jump-latest")).to_be_hidden()
    scroll_to_bottom(alice)
    wait_for(lambda: membership(long_chat["alice"], group)["last_read_seq"] == live["seq"], what="read to the end")

    # Joined: the next live message follows at the end as usual.
    post(bob, group, "and one more")
    expect(alice.message_with("and one more")).to_be_in_viewport()
    assert_contiguous(alice)
    assert_nothing_went_wrong(alice)


def test_a_window_catches_up_after_a_reconnect(chat_page, long_chat):
    group, bob = long_chat["group"], long_chat["bob"]
    alice = open_long_chat(chat_page, long_chat)
    alice.page.locator("#message-list .reply-quote", has_text=FAR_ORIGINAL).first.click()
    expect(alice.page.locator(f"#message-list .message[data-id='{long_chat['original']['id']}']")).to_be_in_viewport()
    near = alice.page.locator("#message-list .message").nth(3)
    expect(near).to_be_visible()
    near_id = int(near.get_attribute("data-id"))

    alice.context.set_offline(True)
    alice.expect_state("offline")
    assert bob.api("PATCH", f"/messages/{near_id}", json={"body": "edited while you were away"}).ok
    missed = post(bob, group, "sent while you were away")
    alice.context.set_offline(False)
    alice.expect_state("online")
    # Only the resync can bring these: the edit shows in the window, the new message with the newest.
    expect(alice.page.locator(f"#message-list .message[data-id='{near_id}'] .message-body")).to_have_text(
        "edited while you were away")
    expect(alice.conversation(group).locator(".unread-badge")).to_have_text("1")
    expect(alice.message_with("sent while you were away")).to_have_count(0)
    alice.page.locator("#jump-latest").click()
    expect(alice.message_with("sent while you were away")).to_have_count(1)
    assert alice.shown_seqs()[-1] == missed["seq"]
    assert_contiguous(alice)

    # Writing while a window far back is shown: what one sends goes under the newest messages.
    alice.page.locator("#message-list .reply-quote", has_text=FAR_ORIGINAL).first.click()
    expect(alice.page.locator("#jump-latest")).to_be_visible()
    alice.type_and_send("sent from far back")
    expect(alice.message_with("sent from far back")).to_be_in_viewport()
    expect(alice.page.locator("#jump-latest")).to_be_hidden()
    assert alice.shown_seqs()[-2] == missed["seq"]
    assert_contiguous(alice)
    assert_nothing_went_wrong(alice)


def a_reply_to_the_first_message(chat_page, api_user, original_body: str, fillers: int,
                                 delete_original: bool = False):
    """Bob's first message, `fillers` more, then his reply quoting the first (deleted after, if asked);
    Alice has read it all and opens the group. Answers her chat page and the first message."""
    alice_account, bob = api_user("al"), api_user("bob")
    group = group_with(bob, alice_account)["id"]
    original = post(bob, group, original_body)
    for number in range(fillers):
        post(bob, group, f"filler {number}")
    post_reply(bob, group, "about that", original["id"])
    if delete_original:
        assert bob.api("DELETE", f"/messages/{original['id']}").ok
    read_all(alice_account, group)
    return open_as(chat_page, alice_account, group), original


def test_a_quote_of_a_deleted_message_says_so_and_still_jumps(chat_page, api_user):
    alice, original = a_reply_to_the_first_message(chat_page, api_user, "soon gone", 80, delete_original=True)

    quote = alice.page.locator("#message-list .reply-quote")
    expect(quote).to_have_text("message deleted")
    expect(quote).to_have_class("reply-quote removed")
    assert alice.page.get_by_text("soon gone").count() == 0
    quote.click()
    target = alice.page.locator(f"#message-list .message[data-id='{original['id']}']")
    expect(target).to_be_in_viewport()
    expect(target.locator(".message-body")).to_have_text("message deleted")
    assert_nothing_went_wrong(alice)


def test_a_jump_stays_on_its_message_when_an_image_loads_at_once(chat_page, api_user):
    """A jump to a message already on the page scrolls to it; an image below that finishes loading
    before the browser has told the page about that scroll (the next frame) must not take the reader
    back to the newest messages. Found when a fresh-clone CI run on a loaded machine failed the test
    above: the avatars of the page just loaded were still coming in."""
    # One page (50) holds them all, the original far above the pane's bottom.
    alice, original = a_reply_to_the_first_message(chat_page, api_user, "the first one", 45)
    target = alice.page.locator(f"#message-list .message[data-id='{original['id']}']")
    expect(target).to_have_count(1)
    expect(target).not_to_be_in_viewport()
    alice.page.evaluate("""() => {
        document.querySelector("#message-list .reply-quote").click();
        document.querySelector("#message-list .message:last-child").dispatchEvent(new Event("load"));
    }""")
    expect(target).to_be_in_viewport()
    assert_nothing_went_wrong(alice)


def unfocus(chat):
    """Take the focus from the chat page for real: Playwright's focus emulation (every page focused)
    is turned off for it and another window of its browser, an empty one, is brought to the front (not
    a second chat page: its own requests and socket are no part of what is tested)."""
    chat.context.new_cdp_session(chat.page).send("Emulation.setFocusEmulationEnabled", {"enabled": False})
    other = chat.context.new_page()
    other.bring_to_front()
    wait_for(lambda: chat.page.evaluate("!document.hasFocus()"), what="the chat page loses the focus")
    return other


def test_messages_arriving_while_the_window_is_not_focused_are_read_when_it_is(chat_page, api_user):
    alice_account, bob = api_user("al"), api_user("bob")
    group = group_with(bob, alice_account)["id"]
    post(bob, group, "before")
    read_all(alice_account, group)
    alice = open_as(chat_page, alice_account, group)
    unfocus(alice)

    post(bob, group, "while away one")
    last = post(bob, group, "while away two")
    # The page got them (shown, and acked as delivered, right before it would mark them read) ...
    expect(alice.message_with("while away two")).to_be_visible()
    wait_for(lambda: membership(alice_account, group)["last_delivered_seq"] == last["seq"], what="delivered")
    # ... and counts them unread: nobody was looking.
    expect(alice.conversation(group).locator(".unread-badge")).to_have_text("2")
    assert membership(alice_account, group)["last_read_seq"] == last["seq"] - 2
    # A scroll (a wheel over it) reads nothing either. The page marks read 250 ms after a scroll; a
    # timer of the same delay set after its own fires after it (timers keep their order), and a read
    # it sends takes the badge away at once: that is the marker, not a sleep.
    alice.page.evaluate("""() => new Promise((resolve) => {
        const scroller = document.querySelector("#message-scroller");
        scroller.addEventListener("scroll", () => setTimeout(resolve, 250), { once: true });
        scroller.dispatchEvent(new Event("scroll"));
    })""")
    assert alice.conversation(group).locator(".unread-badge").all_text_contents() == ["2"]
    assert membership(alice_account, group)["last_read_seq"] == last["seq"] - 2

    alice.page.bring_to_front()
    wait_for(lambda: membership(alice_account, group)["last_read_seq"] == last["seq"], what="read once focused")
    expect(alice.conversation(group).locator(".unread-badge")).to_have_count(0)
    assert_nothing_went_wrong(alice)


def open_with_unread(chat_page, api_user, live_server, unread: int):
    """Bob's group with Alice: 5 messages she read, then `unread` more; her page opens it."""
    alice_account, bob = api_user("al"), api_user("bob")
    group = group_with(bob, alice_account)["id"]
    for number in range(1, 6):
        post(bob, group, f"old {number}")
    assert alice_account.api("POST", f"/conversations/{group}/read", json={"seq": 5}).ok
    store_fillers(live_server, bob, group, range(1, unread))
    post(bob, group, "the newest")
    alice = chat_page()
    alice.log_in(alice_account.username)
    expect(alice.conversation(group).locator(".unread-badge")).to_have_attribute("aria-label", f"{unread} unread")
    alice.open(group)
    return alice, alice_account, group


def expect_divider_above_the_first_unread(alice) -> None:
    divider = alice.page.locator("#message-list .unread-divider")
    expect(divider).to_have_text("New messages")
    expect(divider).to_be_in_viewport()
    assert divider.evaluate("node => node.nextElementSibling.dataset.seq") == "6"


def test_opening_with_130_unread_shows_the_divider_and_reads_only_what_is_seen(chat_page, api_user, live_server):
    alice, alice_account, group = open_with_unread(chat_page, api_user, live_server, 130)
    expect_divider_above_the_first_unread(alice)
    expect(alice.message_with("the newest")).not_to_be_in_viewport()
    assert len(alice.shown_seqs()) <= 150
    wait_for(lambda: membership(alice_account, group)["last_read_seq"] > 5, what="the first unread read")
    read = membership(alice_account, group)["last_read_seq"]
    assert read <= max(alice.shown_seqs()) and read < 40  # one screen, not the 130
    expect(alice.conversation(group).locator(".unread-badge")).to_have_attribute("aria-label", f"{135 - read} unread")
    assert_nothing_went_wrong(alice)


def test_opening_with_unread_far_back_opens_a_window_at_the_first_one(chat_page, api_user, live_server):
    alice, alice_account, group = open_with_unread(chat_page, api_user, live_server, 400)
    expect_divider_above_the_first_unread(alice)
    seqs = assert_contiguous(alice)
    assert len(seqs) <= 60  # a window from the first unread, not 400 messages
    expect(alice.page.locator("#jump-latest")).to_be_visible()
    wait_for(lambda: membership(alice_account, group)["last_read_seq"] > 5, what="the first unread read")
    read = membership(alice_account, group)["last_read_seq"]
    assert read < 40
    # Jumping to the newest messages skips the rest: they were not seen, but the end was.
    alice.page.locator("#jump-latest").click()
    expect(alice.message_with("the newest")).to_be_in_viewport()
    wait_for(lambda: membership(alice_account, group)["last_read_seq"] == 405, what="read at the newest end")
    assert_nothing_went_wrong(alice)
