"""The messages of one conversation are stored in the order they were written, whatever the server answers
for the moment (sender.js): while a message written earlier waits to go again (refused `busy`, or refused with
Retry), the ones written after it wait behind it; a refusal for good, or a Discard, lets them go."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    assert_nothing_went_wrong,
    intercept_sends,
    sent_bodies,
    stored_bodies,
    two_in_a_group,
)
from tests.servers import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# The page's first message:send does not reach the server: its ack callback is kept (window.heldAck) for the
# test to answer.
HOLD_THE_FIRST = "(payload, ack, send) => (window.heldAck ? send() : (window.heldAck = ack))"


def answer_the_held_send(chat, code: str, message: str = "", retry_after: int | None = None) -> None:
    error = {"code": code, "message": message, **({"retry_after": retry_after} if retry_after is not None else {})}
    chat.page.evaluate("(error) => window.heldAck({ok: false, error})", error)


def write_the_first_one_held(chat) -> None:
    intercept_sends(chat, HOLD_THE_FIRST)
    chat.type_and_send("written first")
    wait_for(lambda: chat.page.evaluate("Boolean(window.heldAck)"), what="the first send, held")


@pytest.mark.parametrize("refused", ["before the second is written", "after the second is written"])
def test_a_send_refused_busy_is_stored_before_the_ones_written_after_it(chat_page, api_user, refused):
    """`busy` comes back a round trip after the send: a message written meanwhile (or flushed with it after a
    reconnect) was already on its way on the old page, and stored first."""
    alice_account, _, group, alice, bob = two_in_a_group(chat_page, api_user)
    write_the_first_one_held(alice)
    if refused.startswith("before"):
        answer_the_held_send(alice, "busy")
    alice.type_and_send("written second")
    if refused.startswith("after"):
        expect(alice.page.locator("#pending-list .message")).to_have_count(2)
        assert sent_bodies(alice) == ["written first"]  # the second waits for the first's answer
        answer_the_held_send(alice, "busy")

    expect(bob.page.locator("#message-list .message-body")).to_have_text(["written first", "written second"])
    expect(alice.page.locator("#pending-list .message")).to_have_count(0)
    assert stored_bodies(alice_account, group) == ["written first", "written second"]
    assert_nothing_went_wrong(alice, bob)


@pytest.mark.parametrize("then", ["Retry", "Discard"])
def test_a_send_refused_for_the_moment_holds_back_the_ones_after_it_until_retried_or_discarded(
        chat_page, api_user, then):
    """Refused by the send rate, which the page does not retry by itself: the ones after it wait for its Retry."""
    alice_account, _, group, alice, bob = two_in_a_group(chat_page, api_user)
    write_the_first_one_held(alice)
    answer_the_held_send(alice, "rate_limited", "You are sending too fast.", retry_after=3600)
    pending = alice.page.locator("#pending-list .message")
    failed = alice.page.locator("#pending-list .message.failed")
    expect(failed.locator(".message-body")).to_have_text("written first")

    alice.type_and_send("written second")
    alice.type_and_send("written third")
    expect(pending.locator(".message-pending-note")).to_have_text(["sent after the message above"] * 2)
    assert sent_bodies(alice) == ["written first"]

    failed.get_by_role("button", name=then).click()
    written = ["written first", "written second", "written third"] if then == "Retry" else [
        "written second", "written third"]
    expect(bob.page.locator("#message-list .message-body")).to_have_text(written)
    expect(pending).to_have_count(0)
    assert stored_bodies(alice_account, group) == written
    assert_nothing_went_wrong(alice, bob)


def test_a_send_refused_for_good_does_not_hold_back_the_ones_after_it(chat_page, api_user):
    """Its text goes back to the composer (as any refusal for good: test_chat_composer.py); what was written
    after it goes on."""
    alice_account, _, group, alice, bob = two_in_a_group(chat_page, api_user)
    write_the_first_one_held(alice)
    alice.type_and_send("written second")
    expect(alice.page.locator("#pending-list .message")).to_have_count(2)
    assert sent_bodies(alice) == ["written first"]

    answer_the_held_send(alice, "not_member", "You are not a member of this conversation.")
    expect(alice.page.locator("#composer-input")).to_have_value("written first")
    expect(bob.page.locator("#message-list .message-body")).to_have_text(["written second"])
    expect(alice.page.locator("#pending-list .message")).to_have_count(0)
    assert stored_bodies(alice_account, group) == ["written second"]
    assert_nothing_went_wrong(alice, bob)


@pytest.mark.parametrize("code", ["unavailable", "internal_error"])
def test_a_send_the_server_could_not_take_goes_again_by_itself_and_the_ones_after_it_follow(chat_page, api_user,
                                                                                             code):
    """As a chat app's queue does: nobody has to click Retry for what was written after it to go (after 2 s).
    A send refused by the send rate waits for its Retry instead (the test above: its toast counts down)."""
    alice_account, _, group, alice, bob = two_in_a_group(chat_page, api_user)
    write_the_first_one_held(alice)
    answer_the_held_send(alice, code, "Not now.")
    expect(alice.page.locator("#pending-list .message.failed .message-body")).to_have_text("written first")
    alice.type_and_send("written second")

    written = ["written first", "written second"]
    expect(bob.page.locator("#message-list .message-body")).to_have_text(written, timeout=15_000)
    expect(alice.page.locator("#pending-list .message")).to_have_count(0)
    assert sent_bodies(alice) == ["written first", "written first", "written second"]  # no click: by itself
    assert stored_bodies(alice_account, group) == written
    assert_nothing_went_wrong(alice, bob)


def test_a_send_whose_answer_never_comes_goes_again_and_the_ones_after_it_follow(chat_page, api_user):
    """An answer lost on a connection that stays up (here the first send never leaves the page) would hold the
    conversation until a reconnect: after `answerTimeoutMs` (30 s; 1 s here) it is sent again with its client_id,
    which the server stores once, and what was written after it follows."""
    alice_account, _, group, alice, bob = two_in_a_group(chat_page, api_user)
    alice.page.evaluate("window.switchboard.sender.answerTimeoutMs = 1000")
    write_the_first_one_held(alice)  # never answered
    alice.type_and_send("written second")

    written = ["written first", "written second"]
    expect(bob.page.locator("#message-list .message-body")).to_have_text(written)
    expect(alice.page.locator("#pending-list .message")).to_have_count(0)
    assert sent_bodies(alice) == ["written first", "written first", "written second"]
    assert stored_bodies(alice_account, group) == written
    assert_nothing_went_wrong(alice, bob)
