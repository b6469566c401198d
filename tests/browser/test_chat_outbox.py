"""The outbox across a reload, in a real browser against the real server (outbox.js, outbox-store.js, sender.js):
what the closed page had not sent goes out on the next load, each conversation's in the order written."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    assert_nothing_went_wrong,
    kept_outbox,
    reopen,
    stored_bodies,
    two_in_a_group,
)
from tests.servers import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# From now on the page's clock stands still: whatever it writes is written in the same millisecond.
STOP_THE_CLOCK = """() => {
  const RealDate = Date;
  const frozen = RealDate.now();
  window.Date = class extends RealDate {
    constructor(...args) {
      super(...(args.length ? args : [frozen]));
    }

    static now() {
      return frozen;
    }
  };
}"""


def test_messages_written_in_the_same_millisecond_go_out_in_the_order_written_after_a_reload(chat_page, api_user):
    """Files chosen together are written in one millisecond; so are these, written with the clock stopped. Kept by
    the time written alone, they came back in the order of their random client ids."""
    alice_account, _, group, alice, bob = two_in_a_group(chat_page, api_user)
    alice.context.set_offline(True)
    alice.expect_state("offline")
    alice.page.evaluate(STOP_THE_CLOCK)
    written = [f"message {number}" for number in range(1, 9)]
    for body in written:
        alice.type_and_send(body)
    wait_for(lambda: len(kept_outbox(alice)) == len(written), what="the outbox on disk")
    assert len({entry["created_at"] for entry in kept_outbox(alice)}) == 1  # all in the same millisecond

    alice.context.set_offline(False)
    reopen(alice, group)
    expect(bob.page.locator("#message-list .message-body")).to_have_text(written)
    expect(alice.page.locator("#pending-list .message")).to_have_count(0)
    assert stored_bodies(alice_account, group) == written
    assert_nothing_went_wrong(alice, bob)
