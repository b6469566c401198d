"""Ticks and unread in a real browser against the real server (issue 9 B): one's own messages go ✓
(stored) → ✓✓ (delivered, acked by the recipient's client) → ✓✓ coloured (read), live; a group's
"Read by N" names its readers on hover and on a tap; the page acks what it receives without marking
it read; a conversation opened with many unread messages shows "New messages" above the first one,
jumps there, and marks read only what has been scrolled into view."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_nothing_went_wrong, group_with, open_as, post, press_on
from tests.servers import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def direct_chat(user, other) -> int:
    response = user.api("POST", "/direct", json={"user_id": other.id})
    assert response.status_code in (200, 201), response.text
    return response.json()["conversation"]["id"]


def receipt_of(viewer, conversation_id: int, member) -> dict:
    receipts = viewer.api("GET", f"/conversations/{conversation_id}/receipts").json()["receipts"]
    return next(receipt for receipt in receipts if receipt["user_id"] == member.id)


def membership(user, conversation_id: int) -> dict:
    return user.api("GET", f"/conversations/{conversation_id}").json()["conversation"]["membership"]


def own_message_in_direct_chat(chat_page, api_user, text: str):
    """alice's page with a direct chat with bob open and her message `text` in it: (alice's page,
    her account, bob, the chat's id, the message's ticks, its seq)."""
    alice_account, bob = api_user("al"), api_user("bob")
    chat_id = direct_chat(alice_account, bob)
    alice = open_as(chat_page, alice_account, chat_id)
    alice.type_and_send(text)
    ticks = alice.page.locator("#message-list .message.own .ticks")
    expect(ticks).to_have_attribute("data-state", "sent")  # stored; none of bob's clients has it
    seq = int(alice.page.locator("#message-list .message.own").get_attribute("data-seq"))
    return alice, alice_account, bob, chat_id, ticks, seq


def test_ticks_go_sent_delivered_read_live(chat_page, api_user):
    alice, _, bob, chat_id, ticks, seq = own_message_in_direct_chat(chat_page, api_user, "did it arrive?")
    expect(ticks).to_have_text("✓")

    assert bob.api("POST", f"/conversations/{chat_id}/delivered", json={"seq": int(seq)}).ok
    expect(ticks).to_have_attribute("data-state", "delivered")
    expect(ticks).to_have_text("✓✓")
    assert bob.api("POST", f"/conversations/{chat_id}/read", json={"seq": int(seq)}).ok
    expect(ticks).to_have_attribute("data-state", "read")
    expect(ticks).to_have_class("ticks ticks-read")
    # A reload draws the same from the receipts the server holds.
    alice.page.reload()
    alice.expect_state("online")
    alice.open(chat_id)
    expect(alice.page.locator("#message-list .message.own .ticks")).to_have_attribute("data-state", "read")
    assert_nothing_went_wrong(alice)


def test_a_group_shows_who_read_and_the_page_acks_delivery_without_reading(chat_page, api_user):
    alice_account, bob, carol = api_user("al"), api_user("bob"), api_user("carol")
    group = group_with(alice_account, bob, carol)
    elsewhere = direct_chat(bob, alice_account)
    alice = open_as(chat_page, alice_account, group["id"])
    alice.type_and_send("lunch?")
    own = alice.page.locator("#message-list .message.own")
    expect(own.locator(".ticks")).to_have_attribute("data-state", "sent")
    seq = int(own.get_attribute("data-seq"))

    assert bob.api("POST", f"/conversations/{group['id']}/read", json={"seq": seq}).ok
    read_by = own.locator(".read-by")
    expect(read_by).to_have_text("Read by 1")
    expect(read_by).to_have_attribute("title", bob.username)
    # Delivered to bob (read implies it) but not to carol: still one tick.
    expect(own.locator(".ticks")).to_have_attribute("data-state", "sent")
    assert carol.api("POST", f"/conversations/{group['id']}/delivered", json={"seq": seq}).ok
    expect(own.locator(".ticks")).to_have_attribute("data-state", "delivered")
    assert carol.api("POST", f"/conversations/{group['id']}/read", json={"seq": seq}).ok
    expect(own.locator(".ticks")).to_have_attribute("data-state", "read")
    expect(read_by).to_have_text("Read by 2")
    read_by.click()  # a tap shows the names
    expect(own.locator(".read-by-names")).to_have_text(f"{bob.username}, {carol.username}")  # by joining order

    # A message in a conversation alice has not opened: her page acks it, and reads nothing.
    message = post(bob, elsewhere, "are you free later?")
    wait_for(lambda: receipt_of(bob, elsewhere, alice_account)["last_delivered_seq"] == message["seq"],
             what="alice's page acks delivery")
    assert receipt_of(bob, elsewhere, alice_account)["last_read_seq"] == 0
    expect(alice.conversation(elsewhere).locator(".unread-badge")).to_have_text("1")
    assert_nothing_went_wrong(alice)


def test_a_tap_on_read_by_spanning_another_readers_receipt_shows_the_names(chat_page, api_user):
    """Receipts come in bursts just after a message is sent, as people open the group: each draws the ticks again.
    A tap on "Read by 1" pressed before Carol's receipt and released after it shows the names (it was lost)."""
    alice_account, bob, carol = api_user("al"), api_user("bob"), api_user("carol")
    group = group_with(alice_account, bob, carol)["id"]
    alice = open_as(chat_page, alice_account, group)
    alice.type_and_send("lunch?")
    own = alice.page.locator("#message-list .message.own")
    seq = int(own.get_attribute("data-seq"))
    assert bob.api("POST", f"/conversations/{group}/read", json={"seq": seq}).ok
    read_by = own.locator(".read-by")
    expect(read_by).to_have_text("Read by 1")

    press_on(alice, read_by)
    assert carol.api("POST", f"/conversations/{group}/read", json={"seq": seq}).ok
    expect(read_by).to_have_text("Read by 2")
    alice.page.mouse.up()
    expect(own.locator(".read-by-names")).to_have_text(f"{bob.username}, {carol.username}")
    expect(read_by).to_have_attribute("aria-expanded", "true")
    assert_nothing_went_wrong(alice)

def test_many_unread_open_at_the_new_messages_divider_and_read_only_what_is_seen(chat_page, api_user):
    alice_account, bob = api_user("al"), api_user("bob")
    group = group_with(bob, alice_account)
    for number in range(1, 6):
        post(bob, group["id"], f"old {number}")
    assert alice_account.api("POST", f"/conversations/{group['id']}/read", json={"seq": 5}).ok
    for number in range(1, 71):  # more than a history page (50) and than the screen holds
        post(bob, group["id"], f"new {number}")
    alice = chat_page()
    alice.log_in(alice_account.username)
    expect(alice.conversation(group["id"]).locator(".unread-badge")).to_have_text("70")
    alice.open(group["id"])

    divider = alice.page.locator("#message-list .unread-divider")
    expect(divider).to_have_text("New messages")
    expect(divider).to_be_in_viewport()
    # The divider sits right above the first unread message, which older pages were loaded to reach.
    assert divider.evaluate("node => node.nextElementSibling.dataset.seq") == "6"
    expect(alice.page.get_by_text("new 1", exact=True)).to_be_in_viewport()
    expect(alice.page.get_by_text("new 70", exact=True)).not_to_be_in_viewport()
    # Read as far as the screen shows, not to the end.
    wait_for(lambda: membership(alice_account, group["id"])["last_read_seq"] > 5, what="the first unread read")
    read = membership(alice_account, group["id"])["last_read_seq"]
    assert 6 <= read < 75
    expect(alice.conversation(group["id"]).locator(".unread-badge")).to_have_text(str(75 - read))

    alice.page.locator("#message-scroller").evaluate("node => { node.scrollTop = node.scrollHeight; }")
    wait_for(lambda: membership(alice_account, group["id"])["last_read_seq"] == 75, what="read to the end")
    expect(alice.conversation(group["id"]).locator(".unread-badge")).to_have_count(0)
    assert_nothing_went_wrong(alice)


def test_a_privacy_change_redraws_the_ticks_of_open_pages(chat_page, api_user):
    """Bob hides his read receipts: alice's open page goes from "read" to "delivered" at once, and back
    when he shows them again; alice hiding her own ("nobody" works both ways) redraws her page too."""
    alice, alice_account, bob, chat_id, ticks, seq = own_message_in_direct_chat(chat_page, api_user, "read this")
    assert bob.api("POST", f"/conversations/{chat_id}/read", json={"seq": seq}).ok
    expect(ticks).to_have_attribute("data-state", "read")

    assert bob.api("PUT", "/me/privacy", json={"read_receipts": "nobody"}).ok
    expect(ticks).to_have_attribute("data-state", "delivered")
    assert bob.api("PUT", "/me/privacy", json={"read_receipts": "everyone"}).ok
    expect(ticks).to_have_attribute("data-state", "read")
    # Her own setting, changed elsewhere (another device): her page asks for the receipts again.
    assert alice_account.api("PUT", "/me/privacy", json={"read_receipts": "nobody"}).ok
    expect(ticks).to_have_attribute("data-state", "delivered")
    assert alice_account.api("PUT", "/me/privacy", json={"read_receipts": "everyone"}).ok
    expect(ticks).to_have_attribute("data-state", "read")
    assert_nothing_went_wrong(alice)
