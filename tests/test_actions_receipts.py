"""actions.receipts: the exact facts a delivered or read step releases (the authors passed, and no
one else; the read position hidden where the reader's privacy or a block says so), positions that
only move forward, read implying delivered, and the receipts each member may see."""
from __future__ import annotations

import pytest

from actions.blocks import block_user, unblock_user
from actions.contacts import accept_contact_request, remove_contact, send_contact_request
from actions.conversations import mark_read
from actions.errors import ActionError
from actions.groups import leave_group
from actions.messages import send_message
from actions.privacy import update_privacy
from actions.receipts import mark_delivered, read_receipts
from events.facts import ConversationRead, ReceiptMoved, ReceiptVisibilityChanged
from tests.factories import make_group, make_user


@pytest.fixture
def trio(alice, bob, carol):
    """alice's group with bob and carol: seq 1 from alice, 2 from carol (which reads alice's), 3 from alice."""
    group = make_group(alice, "Ticks", [bob, carol])
    send_message(alice, group.id, "one")
    send_message(carol, group.id, "two")
    send_message(alice, group.id, "three")
    return group


def receipts_of(fact_list):
    return [fact for fact in fact_list if isinstance(fact, ReceiptMoved)]


def test_delivery_tells_each_author_passed_once(trio, alice, bob, carol, captured_events):
    captured_events.clear()
    assert mark_delivered(bob, trio.id, 2).last_delivered_seq == 2
    assert captured_events == [ReceiptMoved(trio.id, bob.id, 2, 0, (alice.id, carol.id))]
    captured_events.clear()
    mark_delivered(bob, trio.id, 99)  # held at the newest message: only alice's third is passed
    assert captured_events == [ReceiptMoved(trio.id, bob.id, 3, 0, (alice.id,))]
    captured_events.clear()
    assert mark_delivered(bob, trio.id, 1).last_delivered_seq == 3  # never back
    assert captured_events == []


def test_reading_tells_the_authors_whose_messages_it_passed(trio, alice, bob, carol, captured_events):
    captured_events.clear()
    mark_read(bob, trio.id, 1)
    assert captured_events == [ConversationRead(bob.id, trio.id, 1), ReceiptMoved(trio.id, bob.id, 1, 1, (alice.id,))]
    captured_events.clear()
    mark_read(bob, trio.id, 2)  # carol's message only: alice is not told
    assert receipts_of(captured_events) == [ReceiptMoved(trio.id, bob.id, 2, 2, (carol.id,))]


def test_writing_reads_what_came_before(trio, alice, bob, carol, captured_events):
    captured_events.clear()
    send_message(bob, trio.id, "four")
    assert receipts_of(captured_events) == [ReceiptMoved(trio.id, bob.id, 4, 4, (alice.id, carol.id))]
    captured_events.clear()
    send_message(bob, trio.id, "five")  # nothing of others in between: no receipt
    assert receipts_of(captured_events) == []


def test_a_hidden_read_position_still_tells_delivery(trio, alice, bob, carol, captured_events):
    update_privacy(bob, {"read_receipts": "nobody"})
    block_user(carol, bob.id)
    captured_events.clear()
    mark_read(bob, trio.id, 3)  # delivered and read at once
    assert receipts_of(captured_events) == [ReceiptMoved(trio.id, bob.id, 3, 3, (), (alice.id, carol.id))]
    (carol_sees,) = [receipt for receipt in read_receipts(carol, trio.id) if receipt.user_id == bob.id]
    assert (carol_sees.last_delivered_seq, carol_sees.last_read_seq) == (3, None)


def test_receipts_list_every_other_member_with_read_where_allowed(trio, alice, bob, carol):
    mark_delivered(bob, trio.id, 3)
    mark_read(bob, trio.id, 2)
    seen = {receipt.user_id: (receipt.last_delivered_seq, receipt.last_read_seq)
            for receipt in read_receipts(alice, trio.id)}
    assert seen == {bob.id: (3, 2), carol.id: (2, 2)}
    update_privacy(bob, {"read_receipts": "contacts"})
    seen = {receipt.user_id: (receipt.last_delivered_seq, receipt.last_read_seq)
            for receipt in read_receipts(alice, trio.id)}
    assert seen == {bob.id: (3, None), carol.id: (2, 2)}
    update_privacy(alice, {"read_receipts": "nobody"})  # an exchange: she now sees nobody's
    assert [receipt.last_read_seq for receipt in read_receipts(alice, trio.id)] == [None, None]


def visibility_of(fact_list):
    return [fact for fact in fact_list if isinstance(fact, ReceiptVisibilityChanged)]


def test_a_privacy_change_tells_exactly_the_members_whose_view_changed(trio, alice, bob, carol, captured_events):
    """Per conversation shared with the reader: those who may see the read position now (shown) and
    those who no longer may (hidden), with the reader's positions there; nobody whose view is the same."""
    dave = make_user("dave")
    direct = make_group(bob, "Two", [dave])  # another conversation of bob's, with someone else
    mark_read(bob, trio.id, 2)
    outcome = send_contact_request(bob, {"username": "alice"})
    accept_contact_request(alice, outcome.request.id)
    captured_events.clear()
    update_privacy(bob, {"read_receipts": "contacts"})  # carol and dave (not contacts) lose sight
    assert visibility_of(captured_events) == [ReceiptVisibilityChanged(trio.id, bob.id, 2, 2, (), (carol.id,)),
                                              ReceiptVisibilityChanged(direct.id, bob.id, 0, 0, (), (dave.id,))]
    captured_events.clear()
    update_privacy(bob, {"read_receipts": "nobody"})  # alice, the contact, loses sight too; the others had
    assert visibility_of(captured_events) == [ReceiptVisibilityChanged(trio.id, bob.id, 2, 2, (), (alice.id,))]
    captured_events.clear()
    update_privacy(bob, {"last_seen": "nobody", "read_receipts": "nobody"})  # no change of receipts: no fact
    assert visibility_of(captured_events) == []
    block_user(carol, bob.id)  # carol never sees it again, whatever bob allows
    captured_events.clear()
    update_privacy(bob, {"read_receipts": "everyone"})
    assert visibility_of(captured_events) == [ReceiptVisibilityChanged(trio.id, bob.id, 2, 2, (alice.id,), ()),
                                              ReceiptVisibilityChanged(direct.id, bob.id, 0, 0, (dave.id,), ())]


def test_blocks_and_contacts_tell_the_two_whose_view_of_each_other_changed(trio, alice, bob, carol,
                                                                           captured_events):
    """A block hides each one's read position from the other (both ways), unblocking shows it again;
    with "contacts" read receipts, becoming contacts shows it and ending the contact hides it. Only in
    the conversations the two share, and only to them."""
    mark_read(bob, trio.id, 2)
    mark_read(carol, trio.id, 3)
    captured_events.clear()
    block_user(carol, bob.id)
    assert visibility_of(captured_events) == [ReceiptVisibilityChanged(trio.id, carol.id, 3, 3, (), (bob.id,)),
                                              ReceiptVisibilityChanged(trio.id, bob.id, 2, 2, (), (carol.id,))]
    captured_events.clear()
    unblock_user(carol, bob.id)
    assert visibility_of(captured_events) == [ReceiptVisibilityChanged(trio.id, carol.id, 3, 3, (bob.id,), ()),
                                              ReceiptVisibilityChanged(trio.id, bob.id, 2, 2, (carol.id,), ())]
    update_privacy(bob, {"read_receipts": "contacts"})
    captured_events.clear()
    outcome = send_contact_request(carol, {"username": "bob"})
    assert visibility_of(captured_events) == []  # a request is not a contact yet
    accept_contact_request(bob, outcome.request.id)
    assert visibility_of(captured_events) == [ReceiptVisibilityChanged(trio.id, bob.id, 2, 2, (carol.id,), ())]
    captured_events.clear()
    remove_contact(carol, bob.id)
    assert visibility_of(captured_events) == [ReceiptVisibilityChanged(trio.id, bob.id, 2, 2, (), (carol.id,))]
    captured_events.clear()
    block_user(make_user("stranger"), bob.id)  # no conversation shared: nothing to tell
    assert visibility_of(captured_events) == []


def test_outsiders_are_refused(trio, captured_events):
    from tests.factories import make_user

    outsider = make_user("mallory")
    captured_events.clear()
    with pytest.raises(ActionError) as refused:
        mark_delivered(outsider, trio.id, 1)
    assert refused.value.code == "not_a_member" and captured_events == []


def test_a_note_of_what_you_did_reads_what_came_before_as_writing_does(alice, bob, carol, captured_events):
    """Adding carol leaves a note that alice has read (actions.group_notes): bob's message before it,
    which her read position passes too, gets its ticks, as when she writes."""
    from actions.groups import add_member

    group = make_group(alice, "Notes", [bob])
    send_message(bob, group.id, "hello")
    captured_events.clear()
    add_member(alice, group.id, carol.id)
    assert receipts_of(captured_events) == [ReceiptMoved(group.id, alice.id, 2, 2, (bob.id,))]
    # what bob's page reads on reload says the same
    assert [receipt.last_read_seq for receipt in read_receipts(bob, group.id) if receipt.user.id == alice.id] == [2]


def test_authors_who_left_are_not_told(trio, alice, bob, carol, captured_events):
    """A receipt goes to the authors passed who are still members: one who left the group (or was
    removed) got every later step of its members' positions, though they may no longer ask for them."""
    leave_group(carol, trio.id)
    captured_events.clear()
    mark_delivered(bob, trio.id, 3)
    assert receipts_of(captured_events) == [ReceiptMoved(trio.id, bob.id, 3, 0, (alice.id,))]
    captured_events.clear()
    mark_read(bob, trio.id, 2)
    assert receipts_of(captured_events) == [ReceiptMoved(trio.id, bob.id, 3, 2, (alice.id,))]


def test_across_a_block_delivery_stops_at_the_messages_before_it(trio, alice, bob, carol, captured_events):
    """Carol blocks Bob (seq 1-3 before it). Delivery went on showing both ways: Bob saw Carol's delivered
    position follow each message of the group, which told him when her device was online (the block hides
    her presence), and Carol his. Now each sees the other's delivered position only as far as the messages
    sent before the block (as WhatsApp never shows a blocked person's messages delivered); others see
    everything as before."""
    mark_delivered(carol, trio.id, 1)
    block_user(carol, bob.id)
    send_message(bob, trio.id, "four")  # after the block
    send_message(alice, trio.id, "five")
    captured_events.clear()
    mark_delivered(carol, trio.id, 5)  # passes bob's 4 and alice's 3 and 5: bob hears only up to 3
    assert receipts_of(captured_events) == [ReceiptMoved(trio.id, carol.id, 5, 2, (alice.id,)),
                                            ReceiptMoved(trio.id, carol.id, 3, 2, (), (bob.id,))]
    captured_events.clear()
    send_message(carol, trio.id, "six")  # her read position passes bob's 4 too: bob is not told
    assert receipts_of(captured_events) == [ReceiptMoved(trio.id, carol.id, 6, 6, (alice.id,))]
    captured_events.clear()
    mark_delivered(bob, trio.id, 6)  # passes carol's 6, after the block: she is not told
    assert receipts_of(captured_events) == [ReceiptMoved(trio.id, bob.id, 6, 4, (alice.id,))]

    def seen_by(viewer):
        return {receipt.user_id: (receipt.last_delivered_seq, receipt.last_read_seq)
                for receipt in read_receipts(viewer, trio.id)}
    assert seen_by(bob)[carol.id] == (3, None)
    assert seen_by(carol)[bob.id] == (3, None)
    assert seen_by(alice) == {bob.id: (6, 4), carol.id: (6, 6)}
    unblock_user(carol, bob.id)
    assert seen_by(bob)[carol.id] == (6, 6)


def test_lifting_a_block_shows_the_delivered_positions_again_though_read_stays_hidden(trio, alice, bob, carol,
                                                                                      captured_events):
    """Bob hides his read position from everyone (and so sees nobody's); Carol blocks him, the group goes on,
    she unblocks him. Unblocking told only those whose view of a read position changed: nobody here, so
    each page kept the other's delivered position stopped at the block until it asked again. Now the two
    are told each other's positions (read null, as their settings say)."""
    update_privacy(bob, {"read_receipts": "nobody"})
    block_user(carol, bob.id)
    send_message(alice, trio.id, "four")
    mark_delivered(carol, trio.id, 4)
    mark_delivered(bob, trio.id, 4)
    captured_events.clear()
    unblock_user(carol, bob.id)
    assert visibility_of(captured_events) == [ReceiptVisibilityChanged(trio.id, carol.id, 4, 2, (), (bob.id,)),
                                              ReceiptVisibilityChanged(trio.id, bob.id, 4, 0, (), (carol.id,))]
