"""realtime/socketio_adapter.py's receiving end: every process receives every frame, mostly for rooms it has
nobody in; those cost no Socket.IO packet, and frames for rooms with someone in them are delivered as before."""
from __future__ import annotations

from extensions import socketio
from realtime import conversation_room, user_room
from realtime.socketio_adapter import emit_frame
from tests.helpers import events


def counting_encodes(monkeypatch) -> list[int]:
    """Each Socket.IO packet the server encodes, counted."""
    packet_class = socketio.server.packet_class
    encode = packet_class.encode
    counted: list[int] = []

    def counting(packet, *args, **kwargs):
        counted.append(1)
        return encode(packet, *args, **kwargs)

    monkeypatch.setattr(packet_class, "encode", counting)
    return counted


def test_a_frame_for_a_room_nobody_here_is_in_is_never_encoded(app, alice, socket_client_for, monkeypatch):
    socket = socket_client_for("alice")
    events(socket)
    delivery = app.extensions["socketio_delivery"]
    encoded = counting_encodes(monkeypatch)
    read = emit_frame("conversation:read", {"conversation_id": 5, "last_read_seq": 7}, user_room(alice.id))
    delivery.receive([read])
    for_alice = len(encoded)  # what one frame to her costs (the test client encodes too)
    assert for_alice >= 1 and events(socket) == [("conversation:read", read["data"])]

    delivery.receive([emit_frame("message:new", {"message": {"id": 1, "body": "for another server's sockets"}},
                                 conversation_room(987654)),
                      emit_frame("user:updated", {"user": {"id": 2}}, [user_room(2), user_room(3)]),
                      read])  # after the others: they had their turn

    assert events(socket) == [("conversation:read", read["data"])]
    assert len(encoded) == 2 * for_alice  # alice's frames only


def test_a_frame_for_several_rooms_reaches_whoever_is_here_in_one_of_them(app, alice, socket_client_for):
    socket = socket_client_for("alice")
    events(socket)
    delivery = app.extensions["socketio_delivery"]

    delivery.receive([emit_frame("user:updated", {"user": {"id": 2}}, [user_room(2), user_room(alice.id)])])

    assert events(socket) == [("user:updated", {"user": {"id": 2}})]
