"""jobs.relay: without a Redis bus, what the consumer's jobs publish reaches the web process's sockets."""
from __future__ import annotations

import json
import time

from events import facts
from events.unit_of_work import atomic, queue_event
from jobs.relay import MAX_AGE_SECONDS, POLL_SECONDS, RelayedBus, publish_through_relay
from realtime import user_room
from realtime.socketio_adapter import emit_frame
from tests.helpers import events


def test_the_web_process_delivers_what_the_consumer_published(app, alice, socket_client_for):
    relay = app.extensions["jobs_relay"]
    assert isinstance(app.extensions["realtime_bus"], RelayedBus)
    socket = socket_client_for("alice")
    socket.get_received()
    relay.publish([emit_frame("test:hello", {"n": 1}, user_room(alice.id))])
    assert relay.receive_waiting(app.extensions["socketio_delivery"].receive) == 1
    assert events(socket) == [("test:hello", {"n": 1})]


def test_frames_older_than_a_minute_are_dropped(app, alice, socket_client_for):
    relay = app.extensions["jobs_relay"]
    socket = socket_client_for("alice")
    socket.get_received()
    stale = {"at": time.time() - MAX_AGE_SECONDS - 1,
             "frames": [emit_frame("test:stale", {}, user_room(alice.id))]}
    relay.storage.enqueue(json.dumps(stale).encode())
    assert relay.receive_waiting(app.extensions["socketio_delivery"].receive) == 1
    assert events(socket) == []


def test_the_consumer_publishes_committed_events_to_the_relay(app, alice, socket_client_for):
    socket = socket_client_for("alice")
    socket.get_received()
    publish_through_relay(app)  # what `flask jobs-worker` does before it starts
    with atomic():
        queue_event(facts.ConversationRead(alice.id, 7, 3))
    assert events(socket) == []  # not delivered in this process: it went to the relay
    app.extensions["jobs_relay"].receive_waiting(app.extensions["socketio_delivery"].receive)
    assert events(socket) == [("conversation:read", {"conversation_id": 7, "last_read_seq": 3})]


def test_a_stopped_relay_takes_nothing_more_and_its_task_ends(app, alice, socket_client_for):
    """tests.database_apps.stop_jobs stops each test app's relay: its task would otherwise look every half second
    for as long as the test process runs."""
    import threading

    from tests.servers import wait_for

    def relay_tasks() -> int:
        return sum(thread._target.__name__ == "_receive_forever" for thread in threading.enumerate()
                   if getattr(thread, "_target", None) is not None)

    before = relay_tasks()
    relay = app.extensions["jobs_relay"]
    socket = socket_client_for("alice")  # a connect starts the relay's task
    socket.get_received()
    assert relay_tasks() == before + 1
    relay.stop_receiving()
    wait_for(lambda: relay_tasks() == before, timeout=5, what="the relay's task to end")
    relay.publish([emit_frame("test:late", {}, user_room(alice.id))])
    time.sleep(2 * POLL_SECONDS)  # two looks' time: a task still running would have delivered it
    assert events(socket) == []
    assert relay.receive_waiting(app.extensions["socketio_delivery"].receive) == 1  # it waited there
