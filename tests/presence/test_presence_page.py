"""Presence, typing and the single-session notice in the chat page (Chromium against the presence
server): the direct chat's dot in the sidebar and "online" / "last seen today at …" in its header,
a group's online count and member list, "… is typing…" for one, two and several people, cleared by
their message or after 5 s, the page's own typing told to the others, and "signed in elsewhere"."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, ChatPage
from tests.browser.helpers import assert_nothing_went_wrong, group_with, post, record_csp_violations
from tests.servers import ChatUser, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture
def page_on(browser, presence_server):
    contexts = []

    def open_page(user: ChatUser) -> ChatPage:
        context = browser.new_context(viewport={"width": 1200, "height": 760})
        context.set_default_timeout(15_000)
        contexts.append(context)
        chat = ChatPage(context.new_page(), context, presence_server.url,
                        csp_violations=record_csp_violations(context))
        chat.watch()
        chat.log_in(user.username)
        return chat

    yield open_page
    for context in contexts:
        context.close()


def register(server, prefix: str) -> ChatUser:
    return ChatUser.register(server.url, f"{prefix}{uuid.uuid4().hex[:8]}", password=PASSWORD)


def test_presence_in_the_sidebar_the_header_and_the_member_list(page_on, presence_server):
    alice, bob, carol = (register(presence_server, name) for name in ("al", "bob", "car"))
    direct = alice.api("POST", "/direct", json={"user_id": bob.id}).json()["conversation"]
    group = group_with(alice, bob, carol)
    chat = page_on(alice)
    item = chat.conversation(direct["id"])
    expect(item).to_have_attribute("data-presence", "offline")

    bob_socket = bob.socket(("message:new",))
    expect(item).to_have_attribute("data-presence", "online")
    chat.open(direct["id"])
    expect(chat.page.locator("#conversation-presence")).to_have_text("online")
    bob_socket.disconnect()
    expect(chat.page.locator("#conversation-presence")).to_have_text(re.compile(r"^last seen today at \d"))
    expect(item).to_have_attribute("data-presence", "offline")

    chat.open(group["id"])
    line = chat.page.locator("#conversation-presence")
    expect(line).to_have_text("3 members, 1 online")  # alice herself
    carol_socket = carol.socket(("message:new",))
    expect(line).to_have_text("3 members, 2 online")
    line.click()
    members = chat.page.locator("#members-list .member-item")
    expect(members).to_have_count(3)
    expect(members.nth(0)).to_have_attribute("data-presence", "online")  # online first: alice, carol
    expect(chat.page.locator(f"#members-list [data-user-id='{carol.id}'] .member-presence")).to_have_text("online")
    expect(chat.page.locator(f"#members-list [data-user-id='{bob.id}'] .member-presence")).to_contain_text(
        "last seen today at")
    chat.page.click("#members-close")
    expect(chat.page.locator("#members-dialog")).to_be_hidden()
    carol_socket.disconnect()
    expect(line).to_have_text("3 members, 1 online")
    assert_nothing_went_wrong(chat)


def test_typing_indicators_both_ways(page_on, presence_server):
    alice, bob, carol, dave = (register(presence_server, name) for name in ("al", "bob", "car", "dav"))
    group = group_with(alice, bob, carol, dave)
    chat = page_on(alice)
    chat.open(group["id"])
    indicator = chat.page.locator("#typing-indicator")
    sockets = [user.socket(("typing",)) for user in (bob, carol, dave)]
    bob_socket, carol_socket, dave_socket = sockets
    try:
        bob_socket.call("typing", {"conversation_id": group["id"]})
        expect(indicator).to_have_text(f"{bob.username} is typing…")
        carol_socket.call("typing", {"conversation_id": group["id"]})
        expect(indicator).to_have_text(f"{bob.username} and {carol.username} are typing…")
        dave_socket.call("typing", {"conversation_id": group["id"]})
        expect(indicator).to_have_text("several people are typing…")
        post(dave, group["id"], "done")  # his message clears him at once
        expect(indicator).to_have_text(f"{bob.username} and {carol.username} are typing…")
        carol_socket.call("typing", {"conversation_id": group["id"], "typing": False})
        expect(indicator).to_have_text(f"{bob.username} is typing…")
        expect(indicator).to_be_hidden(timeout=8_000)  # bob said nothing more: gone after 5 s

        chat.page.fill("#composer-input", "h")  # the page tells the others, once per 2 s
        chat.page.type("#composer-input", "ello")
        from_alice = lambda: [frame for frame in bob_socket.received["typing"] if frame["user_id"] == alice.id]  # noqa: E731
        wait_for(from_alice, what="alice typing")
        assert from_alice() == [{"conversation_id": group["id"], "user_id": alice.id, "typing": True}]
        chat.page.fill("#composer-input", "")
        wait_for(lambda: len(from_alice()) == 2, what="alice stopped")
        assert from_alice()[1]["typing"] is False
    finally:
        for socket in sockets:
            socket.disconnect()
    assert_nothing_went_wrong(chat)


def test_signing_in_elsewhere_shows_the_notice_and_stops_reconnecting(page_on, presence_server):
    alice = register(presence_server, "al")
    first = page_on(alice)
    second = page_on(alice)  # SESSION_POLICY=single: the first page's session ends
    expect(first.page.locator("#session-ended")).to_be_visible()
    expect(first.page.locator("#session-ended-text")).to_have_text(
        "You signed in on another device or browser, so this page was signed out.")
    expect(first.page.locator("#session-ended a")).to_have_attribute("href", "/login")
    second.expect_state("online")
    first.expect_state("offline")
    assert_nothing_went_wrong(second)


def test_presence_labels_in_the_readers_time(browser, presence_server):
    """presence.js's wording, in the browser's time zone (the login page's catalogue names none)."""
    context = browser.new_context(bypass_csp=True, timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.goto(presence_server.url + "/login")
    try:
        labels = page.evaluate("""async () => {
          const { presenceLabel, presenceState } = await import("/static/js/chat/presence.js");
          const now = new Date("2026-03-10T12:00:00Z");  // 20:00 in Shanghai
          const seen = (iso) => presenceLabel({ visible: true, online: false, last_seen_at: iso }, now);
          return [presenceLabel({ visible: true, online: true, last_seen_at: null }, now),
                  presenceLabel({ visible: false, online: null, last_seen_at: null }, now),
                  presenceState({ visible: false }), presenceState(null),
                  seen("2026-03-10T06:05:00Z"), seen("2026-03-09T15:59:00Z"), seen("2026-03-09T16:01:00Z"),
                  seen("2026-02-01T01:00:00Z"), seen("2025-12-30T01:00:00Z"),
                  presenceLabel({ visible: true, online: false, last_seen_at: null }, now)];
        }""")
    finally:
        context.close()
    # The page's own time format ("en": 12-hour; a Chinese page says 14:05), days in the reader's zone.
    assert labels == ["online", "", "hidden", "hidden", "last seen today at 02:05 PM",
                      "last seen yesterday at 11:59 PM", "last seen today at 12:01 AM", "last seen Feb 1 at 09:00 AM",
                      "last seen Dec 30, 2025 at 09:00 AM", "offline"]


def test_hiding_ones_own_last_seen_hides_the_others_at_once(page_on, presence_server):
    """Whoever sets `last_seen: nobody` sees nobody's presence either (docs/protocol.md), and is told
    only `privacy:updated`: the page asks for the presence it shows again then. It went on showing the
    others online, for good (no presence:batch reaches such a user)."""
    alice, bob = (register(presence_server, name) for name in ("al", "bob"))
    direct = alice.api("POST", "/direct", json={"user_id": bob.id}).json()["conversation"]
    bob_socket = bob.socket(("message:new",))
    try:
        chat = page_on(alice)
        item = chat.conversation(direct["id"])
        expect(item).to_have_attribute("data-presence", "online")
        assert alice.api("PUT", "/me/privacy", json={"last_seen": "nobody"}).status_code == 200  # another device
        expect(item).to_have_attribute("data-presence", "hidden")
        assert alice.api("PUT", "/me/privacy", json={"last_seen": "everyone"}).status_code == 200
        expect(item).to_have_attribute("data-presence", "online")
        assert_nothing_went_wrong(chat)
    finally:
        bob_socket.disconnect()
