"""A revision held by one process until its author's answer is written is waited for by every other
process's reorder buffer, not read from the database and sent before that answer (realtime.held_elsewhere).

The holding process here is the test's own app on the deployment's database and Redis: its
transport's answer is "written" when the test says so, so the hold lasts as long as a slow client's
ack can (realtime.answer_first), far longer than the buffers' wait for a gap (realtime.ordering)."""
from __future__ import annotations

import time

import pytest

from actions.messages import send_message
from config import normalize_database_url
from events.unit_of_work import HeldEvents
from extensions import db
from models import User
from realtime.ordering import WAIT_SECONDS
from tests.database_apps import testing_app as app_on_database  # not collected as a test
from tests.integration.chat import create_group
from tests.servers import ChatUser, wait_for

pytestmark = pytest.mark.integration


def test_a_revision_held_by_another_process_reaches_no_one_before_it_is_released(two_instances, tmp_path):
    first, second = two_instances
    alice, bob, carol = (ChatUser.register(first.url) for _ in range(3))
    group_id = create_group(alice, (bob, carol))
    readers = [carol.socket(), carol.on(second.url).socket()]
    bob_socket = bob.on(second.url).socket()
    first_ack = bob_socket.call("message:send", {"conversation_id": group_id, "body": "known everywhere"})
    wait_for(lambda: all(reader.received["message:new"] for reader in readers), what="the first message")
    holder = app_on_database(normalize_database_url(first.env["DATABASE_URL"]), tmp_path,
                         {"SOCKETIO_MESSAGE_QUEUE": first.env["SOCKETIO_MESSAGE_QUEUE"]})
    try:
        with holder.app_context():
            held = HeldEvents().start()  # as a socket event holds its changes until its ack is written
            try:
                stored = send_message(db.session.get(User, alice.id), group_id, "held elsewhere").message
            finally:
                held.stop()
            ack = bob_socket.call("message:send", {"conversation_id": group_id, "body": "the next one"})
            assert ack["ok"] and ack["message"]["revision"] == stored.revision + 1, ack
            time.sleep(4 * WAIT_SECONDS)  # a gap not waited on would have been read and sent by now
            assert [revisions(reader) for reader in readers] == [[first_ack["message"]["revision"]]] * 2
            held.release()
        wait_for(lambda: all(len(revisions(reader)) == 3 for reader in readers), timeout=5,
                 what="both messages, once the held one is released")  # not after the longest hold (10 s)
        assert [revisions(reader) for reader in readers] == [[stored.revision - 1, stored.revision,
                                                              stored.revision + 1]] * 2
    finally:
        for socket in [*readers, bob_socket]:
            socket.client.disconnect()


def revisions(reader) -> list[int]:
    return [event["message"]["revision"] for event in reader.received["message:new"]]
