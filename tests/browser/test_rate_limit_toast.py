"""Sending faster than the send rate (docs/protocol.md "Send rate"): however many sends were refused,
the page shows one toast, saying how long to wait (the ack's `retry_after`) and counting it down, in
the page's language; it goes when the wait is over."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_nothing_went_wrong, two_in_a_group
from tests.files.samples import PDF_BYTES
from tests.servers import own_server, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]

ENGLISH = re.compile(r"^Too many at once: try again in (\d+) seconds?\.$")
CHINESE = re.compile(r"^操作太频繁，请在 (\d+) 秒后重试。$")
IN_MINUTES = re.compile(r"^Too many at once: try again in (\d+) minutes?\.$")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """This module's pages use a server of their own with a send rate (two at once, then one every 10 s) and
    one upload an hour."""
    yield from own_server(tmp_path_factory, "send-rate", jobs=False,
                          env={"SEND_BURST": "2", "SEND_PER_MINUTE": "6", "UPLOADS_PER_HOUR": "1"})


def seconds_shown(toast, pattern: re.Pattern) -> int:
    match = pattern.match(toast.text_content() or "")
    assert match, toast.text_content()
    return int(match.group(1))


def test_refused_sends_show_one_toast_counting_down_the_wait(chat_page, api_user):
    _, bob_account, group, alice, bob = two_in_a_group(chat_page, api_user)
    for number in range(5):
        alice.type_and_send(f"quick {number}")
    refused = alice.page.locator("#pending-list .message.failed")
    expect(refused.locator(".message-body")).to_have_text("quick 2")
    # Those written after the refused one wait for it (its Retry or Discard), to be stored in the order written.
    expect(alice.page.locator("#pending-list .message-pending-note")).to_have_text(["sent after the message above"] * 2)
    expect(bob.messages).to_have_count(2)
    toasts = alice.page.locator("#toast-region .toast")
    expect(toasts).to_have_count(1)
    refused.get_by_role("button", name="Retry").click()  # refused again: its toast replaces the first one
    expect(refused).to_have_count(1)

    expect(toasts).to_have_count(1)  # not one per refused send
    expect(toasts).to_have_text(ENGLISH)
    first = seconds_shown(toasts, ENGLISH)
    assert 1 <= first <= 10
    if first > 1:
        wait_for(lambda: seconds_shown(toasts, ENGLISH) < first, what="the countdown")
    expect(toasts).to_have_count(0)  # the wait is over
    # The refused sends' bubbles stay: they do not give a wait that has long passed.
    expect(alice.page.locator("#pending-list .message.failed .message-error").first).not_to_contain_text("second")

    # A refusal shown in a dialog gives the wait too (a static one): an edit takes from the same allowance,
    # which has room for one now.
    for number in range(2):
        own = alice.messages.nth(number)
        own.hover()
        own.locator(".edit-action").click()
        alice.page.fill("#edit-input", f"edited {number}")
        alice.page.press("#edit-input", "Enter")
        if number == 0:
            expect(alice.page.locator("#edit-dialog")).to_be_hidden()
    expect(alice.page.locator("#edit-dialog .dialog-error")).to_have_text(ENGLISH)
    alice.page.keyboard.press("Escape")

    # In Chinese, with the wait too.
    bob.page.close()
    chinese = chat_page()
    chinese.context.set_extra_http_headers({"Accept-Language": "zh-CN"})
    chinese.log_in(bob_account.username)
    chinese.open(group)
    for number in range(3):
        chinese.type_and_send(f"快 {number}")
    expect(chinese.page.locator("#pending-list .message.failed")).to_have_count(1)
    toasts = chinese.page.locator("#toast-region .toast")
    expect(toasts).to_have_count(1)
    expect(toasts).to_have_text(CHINESE)
    assert 1 <= seconds_shown(toasts, CHINESE) <= 10
    assert_nothing_went_wrong(alice, chinese)


def test_a_long_wait_shows_in_minutes_and_a_shorter_one_does_not_cut_it(chat_page, api_user):
    """An upload refused for the hour, then a send refused for seconds: the toast keeps the hour's wait
    (uploads are still refused), in minutes; the refused file's bubble gives no wait, as a send's does."""
    _, _, _, alice, bob = two_in_a_group(chat_page, api_user)
    for number, name in enumerate(("allowed.pdf", "one too many.pdf")):
        alice.page.set_input_files("#file-input", files=[
            {"name": name, "mimeType": "application/pdf", "buffer": PDF_BYTES}])
        alice.send_chosen_files()
        if number == 0:
            expect(bob.page.locator("#message-list .attachment-name")).to_have_text(["allowed.pdf"])
    refused = alice.page.locator("#pending-list .message.failed")
    expect(refused).to_have_count(1)
    toasts = alice.page.locator("#toast-region .toast")
    expect(toasts).to_have_text(IN_MINUTES)
    minutes = seconds_shown(toasts, IN_MINUTES)
    assert 2 <= minutes <= 120, minutes  # UPLOADS_PER_HOUR's sliding window: about an hour
    expect(refused.locator(".message-error")).to_have_text("Too many attempts: wait a moment, then try again.")

    alice.type_and_send("quick 0")  # written after the refused file, it waits for it (its Retry or Discard)
    expect(alice.page.locator("#pending-list .message-pending-note")).to_have_text("sent after the message above")
    refused.get_by_role("button", name="Discard").click()
    expect(bob.message_with("quick 0")).to_have_count(1)
    for number in (1, 2):  # the file's message and quick 0 took the two at once: quick 1 is refused, for 10 s at most
        alice.type_and_send(f"quick {number}")
    expect(refused.locator(".message-body")).to_have_text("quick 1")
    expect(toasts).to_have_count(1)
    expect(toasts).to_have_text(IN_MINUTES)
    assert minutes - 1 <= seconds_shown(toasts, IN_MINUTES) <= minutes
    assert_nothing_went_wrong(alice, bob)


def test_a_refusal_is_announced_once_and_its_countdown_is_silent(chat_page, api_user):
    """Screen readers: the refusal is an alert, read out once; the seconds that tick are a timer (not read)."""
    _, _, _, alice, bob = two_in_a_group(chat_page, api_user)
    for number in range(5):
        alice.type_and_send(f"quick {number}")
    expect(alice.page.locator("#pending-list .message.failed")).to_have_count(1)  # the others wait behind it
    timer = alice.page.locator("#toast-region").get_by_role("timer")
    alert = alice.page.locator("#toast-region").get_by_role("alert")
    expect(timer).to_have_text(ENGLISH)
    expect(alert).to_have_count(1)
    expect(alert).to_have_text(ENGLISH)
    announced = alert.text_content()
    first = seconds_shown(timer, ENGLISH)
    if first > 1:  # the timer ticks; what was announced does not change, so it is not read again
        wait_for(lambda: seconds_shown(timer, ENGLISH) < first, what="the countdown")
        assert alert.text_content() == announced
    expect(timer).to_have_count(0)
    expect(alert).to_have_count(0)  # gone with the toast
    assert_nothing_went_wrong(alice, bob)
