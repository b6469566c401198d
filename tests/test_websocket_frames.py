"""realtime.websocket_frames: simple-websocket's connections write whole frames, one at a time."""
from __future__ import annotations

import socket
import threading

import simple_websocket.ws
from wsproto import ConnectionType

from realtime.websocket_frames import WholeFrames, write_whole_frames

FRAME = 1_000_000  # far more than a socket buffer takes at once


def read_all(sock: socket.socket, size: int) -> bytes:
    received = b""
    while len(received) < size:
        received += sock.recv(65536)
    return received


def test_frames_sent_at_once_arrive_whole_and_one_after_the_other():
    server, client = socket.socketpair()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
    client.settimeout(10)  # a frame cut short would leave the reader waiting
    frames = WholeFrames(server)
    first, second = b"a" * FRAME, b"b" * FRAME
    senders = [threading.Thread(target=frames.send, args=(frame,)) for frame in (first, second)]
    for sender in senders:
        sender.start()
    received = read_all(client, 2 * FRAME)
    for sender in senders:
        sender.join()
    assert received in (first + second, second + first)
    server.close()
    client.close()


class Idle:
    """A reader thread that never runs: these tests write, nobody reads."""

    def __init__(self, target) -> None:
        self.name = "idle"

    def start(self) -> None:
        return None


class Connected(simple_websocket.ws.Base):
    def handshake(self) -> None:
        self.connected = True


def test_every_simple_websocket_connection_gets_a_whole_frames_socket_once():
    write_whole_frames()
    write_whole_frames()  # a second app in the same process changes nothing
    server, client = socket.socketpair()
    connection = Connected(server, connection_type=ConnectionType.SERVER, thread_class=Idle)
    assert isinstance(connection.sock, WholeFrames) and connection.sock._sock is server
    assert connection.sock.fileno() == server.fileno()  # the rest is the socket's own (reads, selectors)
    server.close()
    client.close()
