"""realtime.direct_writes: a packet to an idle websocket is written at once, whole; one to a connection with
something queued, or the rest of a frame its socket did not take, waits in the queue, and the client reads
every frame whole and in the order it was sent. Real parts: python-engineio's socket and gevent queue, a
gevent socket pair with a small send buffer, simple-websocket's connection with this app's frames."""
from __future__ import annotations

import socket
import struct

import engineio
import gevent
import gevent.socket
import pytest
import socketio
from wsproto import ConnectionType

from realtime.direct_writes import write_directly, written_now
from realtime.websocket_compression import compress_websockets
from realtime.websocket_frames import WholeFrames, write_whole_frames
from tests.test_websocket_frames import Connected, Idle  # a simple-websocket connection without its reader


@pytest.fixture
def connection():
    """An engine.io connection upgraded to a websocket, as engineio's handler leaves it (with what
    realtime.websocket_frames remembers of it); the client's end of its socket; the Socket.IO server."""
    write_whole_frames()
    compress_websockets("1024")
    server_end, client_end = gevent.socket.socketpair()
    server_end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)  # full after a few frames
    client_end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    websocket = Connected(server_end, connection_type=ConnectionType.SERVER, thread_class=Idle)
    sio = socketio.Server(async_mode="gevent")
    eio_socket = engineio.socket.Socket(sio.eio, "eio-1")
    eio_socket.connected = eio_socket.upgraded = True
    eio_socket.switchboard_frames, eio_socket.switchboard_websocket = websocket.sock, websocket
    sio.eio.sockets["eio-1"] = eio_socket
    assert isinstance(websocket.sock, WholeFrames)
    yield eio_socket, client_end, sio
    server_end.close()
    client_end.close()


def message(number: int, size: int = 300) -> engineio.packet.Packet:
    return engineio.packet.Packet(engineio.packet.MESSAGE, f'2["message:new",{{"n":{number}}}]' + "x" * size)


def read_frames(sock: socket.socket, count: int) -> list[str]:
    """`count` unmasked text frames from the server, each checked whole (FIN, opcode, length)."""
    sock.settimeout(5)
    buffer, texts = b"", []

    def take(size: int) -> bytes:
        nonlocal buffer
        while len(buffer) < size:
            received = sock.recv(65536)
            assert received, "the connection ended inside a frame"
            buffer += received
        taken, buffer = buffer[:size], buffer[size:]
        return taken

    for _ in range(count):
        first, second = take(2)
        assert first == 0x81 and not second & 0x80, (first, second)  # FIN + text, no mask
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", take(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", take(8))
        texts.append(take(length).decode())
    return texts


def writer_turn(eio_socket) -> None:
    """What engineio's writer greenlet does when it wakes: write everything queued, in order."""
    for queued in eio_socket.poll():
        eio_socket.switchboard_websocket.send(queued.encode())


def test_a_packet_to_an_idle_websocket_is_written_at_once(connection):
    eio_socket, client_end, _ = connection
    assert written_now(eio_socket, message(1))
    assert eio_socket.queue.qsize() == 0
    assert read_frames(client_end, 1) == [message(1).encode()]


def test_a_packet_behind_a_queued_one_is_queued(connection):
    eio_socket, _, _ = connection
    eio_socket.send(message(1))  # engine.io's own path: its writer has not taken it yet
    assert not written_now(eio_socket, message(2))
    eio_socket.queue.get()
    eio_socket.closing = True
    assert not written_now(eio_socket, message(3))  # nor to a closing connection


def test_what_a_full_socket_does_not_take_is_written_by_the_writer_in_order(connection):
    eio_socket, client_end, sio = connection
    write_directly(sio)
    sent = [message(number, size=2000) for number in range(60)]  # ~120 KB: far past both buffers
    for packet in sent:
        sio._send_eio_packet("eio-1", packet)  # as python-socketio's room emit does, recipient by recipient
    assert eio_socket.queue.qsize() > 0  # the socket stopped taking frames: the rest waits for the writer
    reader = gevent.spawn(read_frames, client_end, len(sent))  # reads while the writer waits for room
    while eio_socket.queue.qsize():
        writer_turn(eio_socket)
    assert reader.get(timeout=10) == [packet.encode() for packet in sent]
