"""Where a block stands among the messages, on SQLite and on PostgreSQL: delivered positions stop at the
messages stored before it (actions.access.delivered_caps), counted by the id its block read when it was
made (Block.last_message_id, migration 0027), not by the servers' clocks; and a group add of the two
made at the same moment is either refused by the block or stored before it (actions.access.lock_pair)."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from actions.access import delivered_caps
from actions.blocks import block_user
from actions.errors import Forbidden
from actions.groups import add_member
from actions.messages import send_message
from actions.receipts import mark_delivered, read_receipts
from extensions import db
from models import Block, Message, User
from tests.database_apps import ENGINES, engine_app
from tests.factories import make_group, make_user
from tests.helpers import run_at_once
from tests.query_count import statements

WAIT_SECONDS = 2  # below SQLite's busy_timeout of 5 s


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        yield app


@pytest.mark.parametrize("skew", [timedelta(hours=1), -timedelta(hours=1)])
def test_delivery_stops_at_the_messages_stored_before_the_block_whatever_the_clocks(app, skew):
    """Carol blocks Bob after the group's messages 1-3; 4 and 5 come after. The cap compared the messages'
    `created_at` with the block's: a block made on a server whose clock ran an hour ahead counted 4 and 5
    as before it (Bob saw Carol's delivered position move on after the block), one whose clock ran behind
    counted 1-3 as after it (stopped at 0). It stops at 3 either way now."""
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    group = make_group(alice, "Ticks", [bob, carol])
    for body in ("one", "two", "three"):
        send_message(alice, group.id, body)
    block = block_user(carol, bob.id).block
    block.created_at += skew  # the blocking server's clock
    send_message(bob, group.id, "four")
    send_message(alice, group.id, "five")
    mark_delivered(carol, group.id, 5)
    mark_delivered(bob, group.id, 5)
    db.session.commit()

    def delivered_seen_by(viewer, member):
        return {receipt.user_id: receipt.last_delivered_seq for receipt in read_receipts(viewer, group.id)}[member.id]
    assert (delivered_seen_by(bob, carol), delivered_seen_by(carol, bob), delivered_seen_by(alice, carol)) == (3, 3, 5)


def test_the_caps_of_every_blocked_pair_of_a_conversation_are_one_query(app):
    """Carol blocked Bob, Dave and Erin (Erin blocked her too, later): one query for the four blocks, where
    there was one for the blocks and one more per person blocked."""
    alice, bob, carol, dave, erin = (make_user(name) for name in ("alice", "bob", "carol", "dave", "erin"))
    group = make_group(alice, "Ticks", [bob, carol, dave, erin])
    send_message(alice, group.id, "one")
    block_user(carol, bob.id)
    send_message(alice, group.id, "two")
    block_user(carol, dave.id)
    block_user(carol, erin.id)
    send_message(alice, group.id, "three")
    block_user(erin, carol.id)  # the first block between them counts
    ids = [alice.id, bob.id, carol.id, dave.id, erin.id]
    group_id = group.id
    db.session.commit()
    with statements() as sent:
        caps = delivered_caps(ids[2], ids, group_id)
    assert caps == {ids[1]: 1, ids[3]: 2, ids[4]: 2}
    assert len(sent) == 1, sent


def test_the_migration_places_the_blocks_there_by_their_time(app):
    """Blocks made before 0027 get the newest message their `created_at` saw (the cap they had); one
    made before any message gets 0."""
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    group = make_group(alice, "Ticks", [bob, carol])
    early = block_user(bob, carol.id).block  # before any message
    first = send_message(alice, group.id, "one").message
    second = send_message(alice, group.id, "two").message
    late = block_user(carol, bob.id).block
    send_message(alice, group.id, "three")
    db.session.commit()
    times = {row.id: row.created_at for row in db.session.execute(db.select(Message.id, Message.created_at))}
    db.session.execute(db.update(Block).where(Block.blocker_id == early.blocker_id)
                       .values(created_at=times[first.id] - timedelta(seconds=1)))
    db.session.execute(db.update(Block).where(Block.blocker_id == late.blocker_id)
                       .values(created_at=times[second.id]))
    db.session.commit()
    ids = (bob.id, carol.id, second.id)
    db.session.remove()
    downgrade(revision="0026_group_deleting_at")
    db.session.remove()
    upgrade()
    bob_id, carol_id, second_id = ids
    placed = dict(db.session.execute(text("SELECT blocker_id, last_message_id FROM blocks")).all())
    assert placed == {bob_id: 0, carol_id: second_id}


def test_a_block_at_the_moment_of_a_group_add_of_the_two_is_made_after_it(app):
    """Alice blocks Bob while Bob adds her to his group. The add had checked that no block stood between
    them, the block then stored itself and committed (it saw no group shared with Bob, and placed itself
    before the add's note), and the add committed after it: Alice was in Bob's group, added after she
    blocked him. Now the add holds the pair, as requests and blocks do: the block waits for it, then
    counts the add before it (its note is among the messages before the block)."""
    alice, bob = make_user("alice"), make_user("bob")
    group = make_group(bob, "Bob's")
    db.session.commit()
    alice_id, bob_id, group_id = alice.id, bob.id, group.id
    checked, blocked = threading.Event(), threading.Event()

    def watch(_connection, _cursor, statement, parameters, *_):
        if threading.current_thread().name == "add" and "FROM blocks" in statement and not checked.is_set():
            checked.set()  # the add is looking for a block between them: the block goes now (bounded)
            blocked.wait(WAIT_SECONDS)

    def add():
        return add_member(db.session.get(User, bob_id), group_id, alice_id).user_id

    def block():
        assert checked.wait(WAIT_SECONDS)
        try:
            return block_user(db.session.get(User, alice_id), bob_id).block.last_message_id
        finally:
            blocked.set()

    outcomes = run_at_once(app, {"add": add, "block": block}, watch)

    assert not isinstance(outcomes["block"], BaseException), outcomes
    if isinstance(outcomes["add"], Forbidden):  # the block went first (SQLite's write lock): no add
        assert outcomes["add"].code == "cannot_add_user", outcomes
        return
    assert outcomes["add"] == alice_id, outcomes
    note = db.session.execute(db.select(db.func.max(Message.id)).where(Message.conversation_id == group_id))
    note = note.scalar_one()
    assert outcomes["block"] >= note, outcomes  # the add's note counts before the block
