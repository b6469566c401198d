"""realtime.text_packets: what the server sends is never looked through for bytes (issue 15: that walk
was 12% of the worker serving history pages), and still arrives whole."""
import pytest
from socketio.packet import Packet

from realtime.text_packets import TextPacket
from tests.factories import make_group
from tests.helpers import wait_for_events


def test_no_outgoing_packet_is_looked_through_for_bytes(monkeypatch, alice, bob, socket_client_for):
    """Only the test client's own packets (its emits) are looked through; the server's acks and events
    are not."""
    looked, depth = [], [0]
    walk = Packet.data_is_binary.__func__

    def recorded(cls, data):
        if depth[0] == 0:  # a packet's data, not the parts of it the walk goes through
            looked.append(data)
        depth[0] += 1
        try:
            return walk(cls, data)
        finally:
            depth[0] -= 1

    monkeypatch.setattr(Packet, "data_is_binary", classmethod(recorded))
    group_id = make_group(alice, "Team", [bob]).id
    alice_socket, bob_socket = socket_client_for("alice"), socket_client_for("bob")
    sent = alice_socket.emit("message:send", {"conversation_id": group_id, "body": "hi", "client_id": "c-1"},
                             callback=True)
    assert sent["ok"], sent
    assert wait_for_events(bob_socket, 1) == [("message:new", {"message": sent["message"]})]
    page = bob_socket.emit("messages:history", {"conversation_id": group_id}, callback=True)
    assert page["messages"] == [sent["message"]]
    client_events = [data[0] for data in looked if isinstance(data, list) and isinstance(data[0], str)]
    assert client_events == ["message:send", "messages:history"], looked  # the server's event not among them
    assert not [data for data in looked if isinstance(data, list) and isinstance(data[0], dict)], looked  # acks


def test_data_holding_bytes_fails_to_encode_instead_of_going_out_as_an_attachment():
    with pytest.raises(TypeError):
        TextPacket(3, data=[{"body": b"bytes"}], id=1).encode()
