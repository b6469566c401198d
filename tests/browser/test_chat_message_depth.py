"""Replies, mentions and reactions in a real browser against the real server (issue 9 C): Reply
puts a quote on the sent message, a click on a quote loads older history until the original is
shown; typing "@" offers the members and the chosen name goes out as a mention, highlighted for the
person mentioned, with an "@" badge in their sidebar; reactions are added, counted and taken back
from the page, and another person's reaction arrives live. Nothing user-written becomes HTML."""
from __future__ import annotations

import re
import uuid
from typing import NamedTuple

import pytest
from playwright.sync_api import Locator, expect

from tests.browser.conftest import ChatPage
from tests.browser.helpers import assert_nothing_went_wrong, group_with, open_as, post
from tests.servers import ChatUser

pytestmark = [pytest.mark.browser, pytest.mark.integration]


class BobsMessage(NamedTuple):
    alice: ChatPage  # Alice's page, open on the group
    alice_account: ChatUser
    bob: ChatUser
    group: int
    message: dict  # as the API sent it back
    row: Locator  # the message on Alice's page, hovered: its actions show


def bobs_message_on_alices_page(chat_page, api_user, text: str) -> BobsMessage:
    """Bob's message `text` in a group of Alice's and his, on Alice's page, which she has open on the group."""
    alice_account, bob = api_user("al"), api_user("bob")
    group = group_with(alice_account, bob)["id"]
    message = post(bob, group, text)
    alice = open_as(chat_page, alice_account, group)
    row = alice.page.locator(f"#message-list .message[data-id='{message['id']}']")
    row.hover()  # the actions show on hover (or focus), as WhatsApp Web's menu does
    return BobsMessage(alice, alice_account, bob, group, message, row)


def test_reply_quote_and_jump_to_an_original_far_back(chat_page, api_user):
    alice_account, bob = api_user("al"), api_user("bob")
    group = group_with(alice_account, bob)["id"]
    original = post(bob, group, "<b>the original</b>")
    for number in range(70):  # more than the first page (50): the original is not loaded at first
        post(bob, group, f"filler {number}")
    last = post(bob, group, "the latest")
    alice = open_as(chat_page, alice_account, group)

    latest = alice.page.locator(f"#message-list .message[data-id='{last['id']}']")
    latest.hover()  # the actions show on hover (or focus), as WhatsApp Web's menu does
    latest.get_by_role("button", name="Reply to message").click()
    expect(alice.page.locator("#reply-bar")).to_contain_text("the latest")
    alice.type_and_send("answering you")
    quote = alice.page.locator("#message-list .message.own .reply-quote")
    expect(quote).to_contain_text("the latest")
    expect(alice.page.locator("#reply-bar")).to_be_hidden()
    sent = alice_account.api("GET", f"/conversations/{group}/messages", params={"limit": 1}).json()["messages"][0]
    assert sent["reply_to"]["id"] == last["id"] and sent["body"] == "answering you"

    # Bob replies to the first message; Alice's page jumps back 70 messages to show it.
    assert bob.api("POST", f"/conversations/{group}/messages",
                   json={"body": "remember this?", "reply_to": original["id"]}).status_code == 201
    far_quote = alice.page.locator("#message-list .reply-quote", has_text="<b>the original</b>")
    expect(far_quote).to_be_visible()
    assert alice.page.locator("#message-list b").count() == 0  # text, never HTML
    far_quote.click()
    target = alice.page.locator(f"#message-list .message[data-id='{original['id']}']")
    expect(target).to_be_in_viewport()
    expect(target.locator(".message-body")).to_have_text("<b>the original</b>")
    assert_nothing_went_wrong(alice)


def test_a_quote_follows_its_original_live_when_it_is_edited_or_deleted(chat_page, api_user):
    """The server sends the changed message, not every reply to it: the page quotes it again, so a
    deleted message's text does not stay readable in the replies until a reload."""
    alice_account, bob = api_user("al"), api_user("bob")
    group = group_with(alice_account, bob)["id"]
    edited, deleted = post(alice_account, group, "first words"), post(alice_account, group, "a secret")
    for original in (edited, deleted):
        assert bob.api("POST", f"/conversations/{group}/messages",
                       json={"body": "answering", "reply_to": original["id"]}).status_code == 201
    watcher = open_as(chat_page, bob, group)
    quotes = watcher.page.locator("#message-list .reply-quote")
    expect(quotes).to_have_count(2)
    assert alice_account.api("PATCH", f"/messages/{edited['id']}", json={"body": "better words"}).status_code == 200
    assert alice_account.api("DELETE", f"/messages/{deleted['id']}").status_code == 200
    expect(watcher.page.locator(f"#message-list .reply-quote[data-reply-to='{edited['id']}']")).to_contain_text(
        "better words")
    gone = watcher.page.locator(f"#message-list .reply-quote[data-reply-to='{deleted['id']}']")
    expect(gone).to_have_class(re.compile("removed"))
    expect(gone).not_to_contain_text("a secret")
    assert_nothing_went_wrong(watcher)


def test_mentions_autocomplete_highlight_and_badge(chat_page, api_user):
    alice_account, bob_account = api_user("al"), api_user("bob")
    group = group_with(alice_account, bob_account)["id"]
    other = group_with(bob_account, alice_account)["id"]  # bob looks at this one while being mentioned
    alice, bob = chat_page(), chat_page()
    alice.log_in(alice_account.username)
    bob.log_in(bob_account.username)
    alice.open(group)
    bob.open(other)

    alice.page.fill("#composer-input", "")
    alice.page.type("#composer-input", "hello @" + bob_account.username[:4])
    choice = alice.page.locator(f"#mention-list .mention-choice[data-username='{bob_account.username}']")
    expect(choice).to_be_visible()
    alice.page.press("#composer-input", "Enter")  # picks the name, does not send
    expect(alice.page.locator("#composer-input")).to_have_value(f"hello @{bob_account.username} ")
    alice.page.type("#composer-input", "look")
    alice.page.press("#composer-input", "Enter")
    expect(alice.page.locator("#message-list .message.own .mention")).to_have_text("@" + bob_account.username)

    badge = bob.conversation(group).locator(".mention-badge")
    expect(badge).to_have_text("@")
    bob.open(group)
    expect(bob.page.locator("#message-list .message.mentions-me .mention.mention-me")).to_have_text(
        "@" + bob_account.username)
    expect(badge).to_have_count(0)  # read now
    assert_nothing_went_wrong(alice)
    assert_nothing_went_wrong(bob)


def test_reactions_from_the_page_and_live(chat_page, api_user):
    alice, _, bob, _, message, item = bobs_message_on_alices_page(chat_page, api_user, "ship it?")
    item.get_by_role("button", name="React to message").click()
    item.get_by_role("menuitem", name="React with 👍").click()
    reaction = item.locator(".reaction[data-emoji='👍']")
    expect(reaction).to_have_text("👍 1")
    expect(reaction).to_have_attribute("aria-pressed", "true")
    # Bob's reaction arrives live; the names show on hover.
    assert bob.api("POST", f"/messages/{message['id']}/reactions", json={"emoji": "👍"}).status_code == 200
    expect(reaction).to_have_text("👍 2")
    expect(reaction).to_have_attribute("title", re.compile(r"^You, \S"))
    reaction.click()  # takes Alice's back
    expect(reaction).to_have_text("👍 1")
    expect(reaction).to_have_attribute("aria-pressed", "false")
    stored = bob.api("GET", f"/messages/{message['id']}/around", params={"limit": 1}).json()["messages"][0]
    assert stored["reactions"] == [{"emoji": "👍", "count": 1, "user_ids": [bob.id]}]
    assert_nothing_went_wrong(alice)


def test_the_row_of_reactions_stays_open_while_others_react_and_closes_on_a_choice(chat_page, api_user):
    """Someone else's reaction draws the message again: the row Alice opened stays, the focus on the item she was
    on (it closed under her before, as the message was drawn anew); her own choice closes it, as Slack's does."""
    alice, _, bob, _, message, item = bobs_message_on_alices_page(chat_page, api_user, "lunch?")
    item.get_by_role("button", name="React to message").click()
    picker = item.locator(".reaction-picker")
    alice.page.keyboard.press("ArrowRight")
    expect(picker.get_by_role("menuitem").nth(1)).to_be_focused()

    assert bob.api("POST", f"/messages/{message['id']}/reactions", json={"emoji": "🎉"}).status_code == 200
    expect(item.locator(".reaction[data-emoji='🎉']")).to_have_text("🎉 1")
    expect(picker).to_be_visible()
    expect(picker.get_by_role("menuitem").nth(1)).to_be_focused()
    expect(item.get_by_role("button", name="React to message")).to_have_attribute("aria-expanded", "true")

    picker.get_by_role("menuitem", name="React with 👍").click()
    expect(item.locator(".reaction[data-emoji='👍']")).to_have_attribute("aria-pressed", "true")
    expect(picker).to_have_count(0)
    assert_nothing_went_wrong(alice)

def test_badges_follow_unread_messages_deleted_or_edited_live(chat_page, api_user):
    """The sidebar counts what the server counts: others' unread messages not removed, and the ones that
    mention you. A mention deleted, or edited away, takes its badge with it live; so does a message
    deleted in a conversation the page never opened (it asks the server's counts). Before, the badges
    stayed until a reload."""
    alice_account, bob_account = api_user("al"), api_user("bob")
    group = group_with(alice_account, bob_account)["id"]
    other = group_with(bob_account, alice_account)["id"]  # bob looks at this one
    bob = open_as(chat_page, bob_account, other)
    mention = post(alice_account, group, f"hello @{bob_account.username}")
    plain = post(alice_account, group, "plain words")
    last = post(alice_account, group, "the latest")
    row = bob.conversation(group)
    expect(row.locator(".unread-badge")).to_have_text("3")
    expect(row.locator(".mention-badge")).to_have_text("@")

    assert alice_account.api("PATCH", f"/messages/{mention['id']}", json={"body": "hello you"}).status_code == 200
    expect(row.locator(".mention-badge")).to_have_count(0)
    expect(row.locator(".unread-badge")).to_have_text("3")
    assert alice_account.api("DELETE", f"/messages/{plain['id']}").status_code == 200
    expect(row.locator(".unread-badge")).to_have_text("2")
    assert alice_account.api("DELETE", f"/messages/{last['id']}").status_code == 200
    expect(row.locator(".unread-badge")).to_have_text("1")
    assert_nothing_went_wrong(bob)


def test_a_deletion_missed_offline_is_counted_out_once(chat_page, api_user):
    """Offline, an unread message of a conversation opened before (its messages loaded) is deleted: on
    reconnect the list brings the server's counts, then the sync replays the deletion, which must not take
    it out a second time. Before, the badge went from 3 to 1."""
    alice_account, bob_account = api_user("al"), api_user("bob")
    group = group_with(alice_account, bob_account)["id"]
    other = group_with(bob_account, alice_account)["id"]
    bob = open_as(chat_page, bob_account, group)  # loaded once
    bob.conversation(other).locator("button").click()
    expect(bob.conversation(other)).to_have_class(re.compile(r"\bactive\b"))
    posted = [post(alice_account, group, f"unread {number}") for number in range(4)]
    row = bob.conversation(group)
    expect(row.locator(".unread-badge")).to_have_text("4")

    bob.context.set_offline(True)
    bob.expect_state("offline")
    assert alice_account.api("DELETE", f"/messages/{posted[1]['id']}").status_code == 200
    bob.context.set_offline(False)
    bob.expect_state("online")
    expect(row.locator(".unread-badge")).to_have_text("3")
    bob.page.wait_for_timeout(1500)  # the sync's replay of the deletion, and any recount
    expect(row.locator(".unread-badge")).to_have_text("3")
    assert_nothing_went_wrong(bob)


def test_a_reply_being_written_follows_its_original_edited_or_deleted(chat_page, api_user):
    """The reply bar (and the draft kept in localStorage) shows an edited original's new text, and goes
    away once it is deleted: before, the deleted text stayed shown and kept on disk, and the send was
    refused message_removed."""
    alice, alice_account, bob, group, original, row = bobs_message_on_alices_page(chat_page, api_user,
                                                                                   "wombat first words")
    row.get_by_role("button", name="Reply to message").click()
    bar = alice.page.locator("#reply-bar")
    expect(bar).to_contain_text("wombat first words")

    assert bob.api("PATCH", f"/messages/{original['id']}", json={"body": "wombat secret"}).status_code == 200
    expect(bar).to_contain_text("wombat secret")
    assert "wombat secret" in alice.page.evaluate("JSON.stringify(Object.assign({}, localStorage))")
    assert bob.api("DELETE", f"/messages/{original['id']}").status_code == 200
    expect(bar).to_be_hidden()
    assert "wombat" not in alice.page.evaluate("JSON.stringify(Object.assign({}, localStorage))")
    alice.type_and_send("still sent, as a plain message")
    expect(alice.page.locator("#message-list .message.own", has_text="still sent")).to_have_count(1)
    sent = alice_account.api("GET", f"/conversations/{group}/messages", params={"limit": 1}).json()["messages"][0]
    assert sent["body"] == "still sent, as a plain message" and sent["reply_to"] is None
    assert_nothing_went_wrong(alice)


def test_the_keyboard_on_the_reply_bar_stays_as_its_original_changes(chat_page, api_user):
    """The keyboard on the reply bar's Cancel: an edit of the original draws the bar anew and the focus stays
    on Cancel; its deletion takes the bar away and the focus goes to the composer. Before, both times it
    fell to the page's body, where the next Tab starts from the page's top."""
    alice, _, bob, _, original, row = bobs_message_on_alices_page(chat_page, api_user, "wombat first words")
    row.get_by_role("button", name="Reply to message").click()
    alice.page.focus("#reply-cancel")
    assert bob.api("PATCH", f"/messages/{original['id']}", json={"body": "wombat new words"}).status_code == 200
    expect(alice.page.locator("#reply-bar")).to_contain_text("wombat new words")
    expect(alice.page.locator("#reply-cancel")).to_be_focused()
    assert bob.api("DELETE", f"/messages/{original['id']}").status_code == 200
    expect(alice.page.locator("#reply-bar")).to_be_hidden()
    expect(alice.page.locator("#composer-input")).to_be_focused()
    assert_nothing_went_wrong(alice)


def test_a_username_ending_in_a_dot_is_highlighted_as_the_readers(chat_page, api_user, live_server):
    """Usernames may end with "." or "-": "@dana." mentions dana. (actions/mentions.py), and her page marks
    "@dana." as hers, not "@dana" followed by a full stop that ends no sentence."""
    alice_account = api_user("al")
    dana_account = ChatUser.register(live_server.url, f"da{uuid.uuid4().hex[:8]}.")
    group = group_with(alice_account, dana_account)["id"]
    sent = post(alice_account, group, f"over to you @{dana_account.username} thanks")
    assert sent["mentions"] == [dana_account.id]
    dana = open_as(chat_page, dana_account, group)
    expect(dana.page.locator("#message-list .message.mentions-me .mention.mention-me")).to_have_text(
        "@" + dana_account.username)
    # After "/" a name is a link's path, not a mention, on the page as on the server (actions/mentions.py).
    pathed = post(alice_account, group, f"my notes/@{dana_account.username} and @{dana_account.username} again")
    assert pathed["mentions"] == [dana_account.id]
    item = dana.page.locator(f"#message-list .message[data-id='{pathed['id']}']")
    expect(item).to_contain_text("again")
    expect(item.locator(".mention")).to_have_count(1)
    # Right after a letter of any script a name is not a mention (the server's \w); "@dana.." (an ellipsis)
    # is still hers, read as the server reads it: the longest name, trailing dots read off one by one.
    chinese = post(alice_account, group, f"你好@{dana_account.username} and @{dana_account.username}..")
    assert chinese["mentions"] == [dana_account.id]
    item = dana.page.locator(f"#message-list .message[data-id='{chinese['id']}']")
    expect(item).to_contain_text("and")
    expect(item.locator(".mention")).to_have_text(["@" + dana_account.username])
    expect(item.locator(".mention.mention-me")).to_have_count(1)
    # Nor does the @-autocomplete offer a name there: the server would not read it as a mention.
    dana.page.type("#composer-input", "你好@al")  # each key's input is handled before type() returns
    expect(dana.page.locator("#mention-list")).to_be_hidden()
    dana.page.type("#composer-input", " @al")  # the marker: after a space the list comes
    offered = dana.page.locator(f"#mention-list .mention-choice[data-username='{alice_account.username}']")
    expect(offered).to_be_visible()
    assert_nothing_went_wrong(dana)
