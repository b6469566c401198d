"""realtime/manager.py: room commands move every socket of a user; the manager is picked by one setting."""
import pytest

from extensions import socketio
from realtime import conversation_room, publisher
from realtime.manager import ROOM_COMMAND_EVENT, LocalManager, RedisManager, build_client_manager
from tests.helpers import events


@pytest.fixture
def sockets(alice, bob, socket_client_for):
    """Two sockets (tabs) of alice and one of bob, nothing received yet."""
    connected = {"alice tab 1": socket_client_for("alice"), "alice tab 2": socket_client_for("alice"),
                 "bob": socket_client_for("bob")}
    for socket in connected.values():
        events(socket)
    return connected


def who_hears(sockets: dict, room: str) -> list[str]:
    socketio.emit("probe", {"room": room}, to=room)
    return sorted(name for name, socket in sockets.items()
                  if socket.is_connected() and events(socket) == [("probe", {"room": room})])


def test_the_app_uses_the_local_manager(app):
    assert isinstance(socketio.server.manager, LocalManager)


def test_join_moves_every_socket_of_the_user_and_nobody_else(alice, sockets):
    room = conversation_room(42)
    assert who_hears(sockets, room) == []
    publisher.join_conversation_room(alice.id, 42)
    # The command is applied, not delivered: no socket receives it as an event.
    assert all(events(socket) == [] for socket in sockets.values())
    assert who_hears(sockets, room) == ["alice tab 1", "alice tab 2"]


def test_leave_takes_every_socket_of_the_user_out(alice, bob, sockets):
    room = conversation_room(42)
    publisher.join_conversation_room(alice.id, 42)
    publisher.join_conversation_room(bob.id, 42)
    publisher.leave_conversation_room(alice.id, 42)
    assert all(events(socket) == [] for socket in sockets.values())
    assert who_hears(sockets, room) == ["bob"]


def test_disconnect_cuts_every_socket_of_the_user(alice, sockets):
    publisher.disconnect_user(alice.id)
    assert [name for name, socket in sockets.items() if socket.is_connected()] == ["bob"]
    assert who_hears(sockets, f"user:{alice.id}") == []


def test_commands_for_a_user_without_sockets_do_nothing(alice, bob, carol, sockets):
    publisher.join_conversation_room(carol.id, 42)
    publisher.disconnect_user(carol.id)
    assert who_hears(sockets, conversation_room(42)) == []
    assert all(socket.is_connected() for socket in sockets.values())


def test_a_socket_connecting_later_is_not_moved_by_earlier_commands(alice, sockets, socket_client_for):
    publisher.join_conversation_room(alice.id, 42)
    sockets["alice tab 3"] = socket_client_for("alice")
    assert who_hears(sockets, conversation_room(42)) == ["alice tab 1", "alice tab 2"]


def test_build_client_manager_picks_by_the_queue_url():
    assert isinstance(build_client_manager(""), LocalManager)
    manager = build_client_manager("redis://127.0.0.1:1/0", write_only=True)
    assert isinstance(manager, RedisManager) and manager.write_only is True
    with pytest.raises(RuntimeError, match="SOCKETIO_MESSAGE_QUEUE must be a redis:// URL"):
        build_client_manager("amqp://guest@queue//")


def test_a_write_only_redis_manager_ignores_room_commands():
    manager = build_client_manager("redis://127.0.0.1:1/0", write_only=True)
    command = {"action": "join", "target": "user:1", "room": "conversation:1"}
    assert manager._handle_emit({"event": ROOM_COMMAND_EVENT, "data": [command], "namespace": "/"}) is None
