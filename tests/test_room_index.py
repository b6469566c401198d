"""realtime.room_index: the manager that indexes each socket's rooms keeps exactly the room table of
python-socketio's own manager through the same connects, joins, leaves, closes and disconnects, and
a disconnect no longer looks through every room (issue 15, the reconnect storm)."""
from __future__ import annotations

import itertools
import random
from types import SimpleNamespace

from socketio import Manager

from realtime.room_index import IndexedRoomsManager


def serving(manager: Manager) -> Manager:
    """A manager as a server sets it up: the server numbers the sockets (here alike for every manager)."""
    numbers = itertools.count(1)
    manager.server = SimpleNamespace(eio=SimpleNamespace(generate_id=lambda: f"s{next(numbers)}"))
    return manager


def both() -> tuple[Manager, IndexedRoomsManager]:
    return serving(Manager()), serving(IndexedRoomsManager())


def test_the_same_rooms_as_the_stock_manager_through_a_random_life():
    stock, indexed = both()
    shuffle = random.Random(15)
    connected: list[tuple[str, str]] = []
    for step in range(3000):
        action = shuffle.random()
        if action < 0.3 or not connected:
            namespace = shuffle.choice(["/", "/qr-login"])
            eio_sid = f"e{step}"
            sids = {manager.connect(eio_sid, namespace) for manager in (stock, indexed)}
            assert len(sids) == 1  # both number their sockets alike
            connected.append((namespace, sids.pop()))
        elif action < 0.75:
            namespace, sid = shuffle.choice(connected)
            room = f"conversation:{shuffle.randrange(40)}"
            for manager in (stock, indexed):
                manager.enter_room(sid, namespace, room)
        elif action < 0.85:
            namespace, sid = shuffle.choice(connected)
            room = f"conversation:{shuffle.randrange(40)}"
            for manager in (stock, indexed):
                manager.leave_room(sid, namespace, room)
        elif action < 0.88:
            room = f"conversation:{shuffle.randrange(40)}"
            for manager in (stock, indexed):
                manager.close_room(room, "/")
        else:
            namespace, sid = connected.pop(shuffle.randrange(len(connected)))
            for manager in (stock, indexed):
                manager.disconnect(sid, namespace)
        assert indexed.rooms == stock.rooms, step
    for namespace, sid in connected:
        assert sorted(indexed.get_rooms(sid, namespace), key=str) == sorted(stock.get_rooms(sid, namespace), key=str)


def test_a_disconnect_leaves_its_own_rooms_without_looking_at_the_others():
    manager = serving(IndexedRoomsManager())
    sids = [manager.connect(f"e{number}", "/") for number in range(200)]
    for number, sid in enumerate(sids):
        manager.enter_room(sid, "/", f"user:{number}")
        manager.enter_room(sid, "/", "conversation:1")

    class Watched(dict):
        def copy(self):
            raise AssertionError("the whole room table was copied to find one socket's rooms")

        def items(self):
            raise AssertionError("every room was looked at to find one socket's rooms")

    manager.rooms["/"] = Watched(manager.rooms["/"])
    manager.callbacks[sids[0]] = {1: print}
    manager.disconnect(sids[0], "/")
    assert "user:0" not in manager.rooms["/"] and sids[0] not in manager.rooms["/"]["conversation:1"]
    assert sids[0] not in manager.rooms["/"][None] and sids[0] not in manager.callbacks
    assert set(manager.rooms["/"]["conversation:1"]) == set(sids[1:])
    assert manager.get_rooms(sids[1], "/") and set(manager.get_rooms(sids[1], "/")) == {
        None, sids[1], "user:1", "conversation:1"} - {None}
