"""blueprints/chat/socket_support.py with the Flask-SocketIO test client (each event runs at once,
through the socket's queue): a socket whose queue is full gets `busy` and nothing changes; one
that keeps sending is disconnected; the events a handler commits leave after its ack."""
import pytest
from flask import request

from blueprints.chat.socket_queue import BUSY
from extensions import socketio
from payloads import error_payload
from tests.helpers import database_rows, events


@pytest.fixture
def bob_socket(bob, group, socket_client_for):
    return socket_client_for("bob")


def send(socket, group, body: str) -> dict:
    return socket.emit("message:send", {"conversation_id": group.id, "body": body}, callback=True)


def test_an_event_past_the_queue_is_refused_with_busy_and_changes_nothing(app, bob_socket, group):
    app.config["SOCKET_EVENT_QUEUE"] = 0  # as if the socket's queue were full
    before = database_rows()
    assert send(bob_socket, group, "hello") == error_payload(BUSY)
    assert database_rows() == before
    assert bob_socket.is_connected()


def test_a_socket_that_keeps_sending_into_its_full_queue_is_disconnected(app, bob_socket, group):
    app.config.update(SOCKET_EVENT_QUEUE=0, SOCKET_BUSY_DISCONNECT=3)
    assert [send(bob_socket, group, "hello") for _ in range(2)] == [error_payload(BUSY)] * 2
    assert bob_socket.is_connected()
    send(bob_socket, group, "hello")
    assert not bob_socket.is_connected()


def test_a_queued_event_is_answered_before_its_changes_leave(alice, bob_socket, group, socket_client_for):
    alice_socket = socket_client_for("alice")
    ack = send(bob_socket, group, "hello")
    assert ack["ok"] is True
    assert [name for name, _ in events(alice_socket)] == ["message:new"]
    queues = socketio.server._handle_event.__self__
    assert queues.lanes == {}


def test_a_socket_events_request_context_matches_a_rule_so_no_not_found_is_raised_and_kept(app, bob_socket):
    """Flask-SocketIO runs each event in a request context made from the connection's request: a rule
    for the Socket.IO path spares every event a NotFound kept with its traceback while it waits."""
    seen = []

    def look():
        seen.append((request.routing_exception, request.url_rule.rule if request.url_rule else None))

    socketio.on_event("test:routing", look)
    bob_socket.emit("test:routing")
    assert seen == [(None, "/socket.io/")]


def test_the_socket_io_path_over_http_is_still_engine_ios(client):
    """The rule never answers: Engine.IO's middleware takes the path before Flask routes it."""
    answer = client.get("/socket.io/")  # no EIO version: Engine.IO refuses it, as before the rule
    assert answer.status_code == 400
    assert answer.get_data() == client.get("/socket.io/?EIO=3&transport=polling").get_data()
