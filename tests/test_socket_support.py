"""blueprints/chat/socket_support.py: a socket whose queue is full gets `busy` at once, and is
disconnected if it keeps sending."""
import pytest

from blueprints.chat import socket_support
from tests.helpers import database_rows

BUSY = {"ok": False, "error": {"code": "busy", "message": socket_support.BUSY.message}}


@pytest.fixture
def bob_socket(bob, group, socket_client_for):
    return socket_client_for("bob")


def send(socket, group, body: str) -> dict:
    return socket.emit("message:send", {"conversation_id": group.id, "body": body}, callback=True)


def test_an_event_past_the_queue_is_refused_with_busy_and_changes_nothing(app, bob_socket, group):
    app.config["SOCKET_EVENT_QUEUE"] = 0  # as if the socket's queue were full
    before = database_rows()
    assert send(bob_socket, group, "hello") == BUSY
    assert database_rows() == before
    assert bob_socket.is_connected()


def test_a_socket_that_keeps_sending_into_its_full_queue_is_disconnected(app, bob_socket, group):
    app.config.update(SOCKET_EVENT_QUEUE=0, SOCKET_BUSY_DISCONNECT=3)
    assert [send(bob_socket, group, "hello") for _ in range(2)] == [BUSY, BUSY]
    assert bob_socket.is_connected()
    send(bob_socket, group, "hello")
    assert not bob_socket.is_connected()


def test_each_event_frees_its_place_in_the_queue(app, bob_socket, group):
    app.config["SOCKET_EVENT_QUEUE"] = 1
    assert [send(bob_socket, group, f"m{number}")["ok"] for number in range(3)] == [True, True, True]
    sid = socket_support.socketio.server.manager.sid_from_eio_sid(bob_socket.eio_sid, "/")
    assert socket_support.queues.in_flight(sid) == 0
