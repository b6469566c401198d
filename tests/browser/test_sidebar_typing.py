"""Typing in the sidebar (as Telegram and WhatsApp Web show it): a conversation's row says "<name> is
typing…" instead of its newest message while someone types there, whether it is open or not, and its
preview comes back when they stop or their message arrives."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_nothing_went_wrong, group_with, open_as, post

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_a_conversation_row_says_who_is_typing_there(chat_page, api_user):
    alice_account, bob_account = api_user("al"), api_user("bob")
    assert bob_account.api("PATCH", "/me", json={"display_name": "Bob <b>Builder</b>"}).status_code == 200
    talk, other = group_with(alice_account, bob_account)["id"], group_with(alice_account, bob_account)["id"]
    post(bob_account, talk, "hello there")
    alice = open_as(chat_page, alice_account, other)  # the row to watch is not the open conversation
    bob = open_as(chat_page, bob_account, talk)
    preview = alice.conversation(talk).locator(".conversation-preview")
    expect(preview).to_have_text("Bob <b>Builder</b>: hello there")

    bob.page.locator("#composer-input").press_sequentially("are you")
    expect(preview).to_have_text("Bob <b>Builder</b> is typing…")
    expect(preview).to_have_class("conversation-preview typing")
    assert alice.page.locator("#conversation-list b").count() == 0  # the name is text, not markup
    expect(alice.page.locator("#typing-indicator")).to_be_hidden()  # the open conversation's is not told
    expect(alice.conversation(other).locator(".conversation-preview")).not_to_contain_text("typing")

    bob.page.fill("#composer-input", "")  # emptied without sending: typing false
    expect(preview).to_have_text("Bob <b>Builder</b>: hello there")
    bob.type_and_send("are you there?")  # typing again, then the message ends it
    expect(preview).to_have_text("Bob <b>Builder</b>: are you there?")
    expect(preview).to_have_class("conversation-preview")

    # In the open conversation the row says it too, beside the indicator under the messages.
    alice.open(talk)
    bob.page.locator("#composer-input").press_sequentially("one more")
    expect(alice.page.locator("#typing-indicator")).to_have_text("Bob <b>Builder</b> is typing…")
    expect(preview).to_have_text("Bob <b>Builder</b> is typing…")
    assert_nothing_went_wrong(alice, bob)
