"""Typing in the sidebar (as Telegram and WhatsApp Web show it): a conversation's row says "<name> is
typing…" instead of its newest message while someone types there, whether it is open or not, and its
preview comes back when they stop or their message arrives."""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_nothing_went_wrong, group_with, open_as, post

pytestmark = [pytest.mark.browser, pytest.mark.integration]

TYPIST_EXPIRY_S = 5  # typing.js SHOWN_FOR_MS: a typist not renewed is dropped after it
CLEARED_WITHIN_MS = 2000  # a stop or a message clears the row at once, well before that


def test_a_conversation_row_says_who_is_typing_there(chat_page, api_user):
    alice_account, bob_account = api_user("al"), api_user("bob")
    assert bob_account.api("PATCH", "/me", json={"display_name": "Bob <b>Builder</b>"}).status_code == 200
    talk, other = group_with(alice_account, bob_account)["id"], group_with(alice_account, bob_account)["id"]
    post(bob_account, talk, "hello there")
    alice = open_as(chat_page, alice_account, other)  # the row to watch is not the open conversation
    bob = open_as(chat_page, bob_account, talk)
    preview = alice.conversation(talk).locator(".conversation-preview")
    expect(preview).to_have_text("Bob <b>Builder</b>: hello there")

    started = time.monotonic()  # before Bob's first `typing`: its expiry on Alice's page is 5 s after
    bob.page.locator("#composer-input").press_sequentially("are you")
    expect(preview).to_have_text("Bob <b>Builder</b> is typing…")
    expect(preview).to_have_class("conversation-preview typing")
    assert alice.page.locator("#conversation-list b").count() == 0  # the name is text, not markup
    expect(alice.page.locator("#typing-indicator")).to_be_hidden()  # the open conversation's is not told
    expect(alice.conversation(other).locator(".conversation-preview")).not_to_contain_text("typing")

    bob.page.fill("#composer-input", "")  # emptied without sending: typing false
    expect(preview).to_have_text("Bob <b>Builder</b>: hello there", timeout=CLEARED_WITHIN_MS)
    assert time.monotonic() - started < TYPIST_EXPIRY_S  # cleared by `typing: false`, not by the expiry

    started = time.monotonic()
    bob.type_and_send("are you there?")  # typing again, then the message ends it
    expect(preview).to_have_text("Bob <b>Builder</b>: are you there?", timeout=CLEARED_WITHIN_MS)
    assert time.monotonic() - started < TYPIST_EXPIRY_S  # cleared by the message, not by the expiry
    expect(preview).to_have_class("conversation-preview")

    # A message of theirs from elsewhere (no `typing: false` from this page): its arrival alone clears it.
    started = time.monotonic()
    bob.page.locator("#composer-input").press_sequentially("wait")
    expect(preview).to_have_text("Bob <b>Builder</b> is typing…")
    post(bob_account, talk, "sent from my phone")
    expect(preview).to_have_text("Bob <b>Builder</b>: sent from my phone", timeout=CLEARED_WITHIN_MS)
    assert time.monotonic() - started < TYPIST_EXPIRY_S
    bob.page.fill("#composer-input", "")

    # In the open conversation the row says it too, beside the indicator under the messages.
    alice.open(talk)
    bob.page.locator("#composer-input").press_sequentially("one more")
    expect(alice.page.locator("#typing-indicator")).to_have_text("Bob <b>Builder</b> is typing…")
    expect(preview).to_have_text("Bob <b>Builder</b> is typing…")
    assert_nothing_went_wrong(alice, bob)


def test_someone_blocked_is_not_said_to_be_typing(chat_page, api_user):
    """Their messages hide behind "Message from a blocked user": their typing is not named either, in the
    sidebar's row or under the open conversation's messages."""
    alice_account, bob_account, mallory_account = api_user("al"), api_user("bob"), api_user("mal")
    for account, name in ((bob_account, "Bob"), (mallory_account, "Mallory")):
        assert account.api("PATCH", "/me", json={"display_name": name}).status_code == 200
    talk = group_with(alice_account, bob_account, mallory_account)["id"]
    assert alice_account.api("POST", "/blocks", json={"user_id": mallory_account.id}).status_code == 201
    alice = open_as(chat_page, alice_account, talk)
    bob = open_as(chat_page, bob_account, talk)
    mallory = open_as(chat_page, mallory_account, talk)
    indicator = alice.page.locator("#typing-indicator")
    preview = alice.conversation(talk).locator(".conversation-preview")

    mallory.page.locator("#composer-input").press_sequentially("psst")
    # Bob (who did not block her) is told: the server has sent it to Alice's socket too, before what Bob
    # types next, so once Alice sees Bob typing she has had Mallory's typing.
    expect(bob.page.locator("#typing-indicator")).to_have_text("Mallory is typing…")
    bob.page.locator("#composer-input").press_sequentially("hi")
    expect(indicator).to_have_text("Bob is typing…")
    expect(preview).to_have_text("Bob is typing…")
    bob.page.fill("#composer-input", "")
    expect(indicator).to_be_hidden()
    expect(preview).not_to_contain_text("typing")
    assert_nothing_went_wrong(alice, bob, mallory)
