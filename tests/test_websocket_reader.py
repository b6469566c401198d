"""realtime.websocket_reader: a websocket read by the greenlet (here the thread) that asks for its messages."""
from __future__ import annotations

import socket
import threading

import pytest
import simple_websocket
from engineio.async_drivers import gevent as engineio_gevent
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Message, Ping, Pong, Request, TextMessage

from realtime.websocket_reader import InlineServer, InlineWebSocketWSGI, read_inline


class Peer:
    """The client end: a wsproto client over the other half of a socket pair."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.ws = sock, WSConnection(ConnectionType.CLIENT)
        self.sock.settimeout(5)

    def handshake_environ(self, server_sock: socket.socket) -> dict:
        """What gunicorn's gevent worker gives the app for this client's upgrade request."""
        request = self.ws.send(Request(host="localhost", target="/socket.io/"))
        head = request.decode().split("\r\n\r\n")[0].split("\r\n")[1:]
        environ = {"gunicorn.socket": server_sock}
        for line in head:
            name, value = line.split(":", 1)
            environ["HTTP_" + name.strip().upper().replace("-", "_")] = value.strip()
        return environ

    def accepted(self) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            data += self.sock.recv(4096)
        self.ws.receive_data(data)
        assert any(isinstance(event, AcceptConnection) for event in self.ws.events())

    def send(self, event) -> None:
        self.sock.sendall(self.ws.send(event))

    def events(self) -> list:
        self.ws.receive_data(self.sock.recv(65536))
        return list(self.ws.events())


@pytest.fixture
def connection():
    server_sock, client_sock = socket.socketpair()
    peer = Peer(client_sock)
    server = InlineServer(peer.handshake_environ(server_sock))
    peer.accepted()
    yield server, peer
    server_sock.close()
    client_sock.close()


def test_no_reader_is_started_and_messages_are_read_by_the_caller(connection):
    server, peer = connection
    before = threading.active_count()
    peer.send(TextMessage(data="40{}"))
    peer.send(Message(data=b"\x01\x02"))
    assert (server.receive(), server.receive()) == ("40{}", b"\x01\x02")
    assert threading.active_count() == before and server.thread.name == "inline reader"
    assert not hasattr(server.ws.handshake, "_h11_connection")  # the handshake's state let go


def test_a_fragmented_message_arrives_whole_and_a_ping_is_answered_while_waiting_for_it(connection):
    server, peer = connection
    peer.send(TextMessage(data="42[\"message:send\",", message_finished=False))
    peer.send(Ping(payload=b"are you there"))
    peer.send(TextMessage(data="{}]", message_finished=True))
    assert server.receive() == '42["message:send",{}]'
    assert [event.payload for event in peer.events() if isinstance(event, Pong)] == [b"are you there"]


def test_a_close_from_the_client_is_answered_and_ends_the_reading(connection):
    server, peer = connection
    peer.send(TextMessage(data="3"))
    peer.send(CloseConnection(code=1000, reason="bye"))
    assert server.receive() == "3"  # what came before the close is still read
    with pytest.raises(simple_websocket.ConnectionClosed):
        server.receive()
    assert [event.code for event in peer.events() if isinstance(event, CloseConnection)] == [1000]
    assert server.sock.fileno() == -1  # closed, as simple-websocket's reader closes it


def test_a_client_that_goes_away_ends_the_reading(connection):
    server, peer = connection
    peer.sock.close()
    with pytest.raises(simple_websocket.ConnectionClosed):
        server.receive()
    assert not server.connected


def test_engineio_serves_its_gevent_websockets_with_it():
    original = engineio_gevent._async["websocket"]
    try:
        read_inline()
        assert engineio_gevent._async["websocket"] is InlineWebSocketWSGI
    finally:
        engineio_gevent._async["websocket"] = original
