"""realtime.direct_writes: an ack to an idle websocket is written at once, whole; the events of a loop
turn are written after it, after whatever came before them on their connection; a connection with
something queued, and the rest of what a full socket did not take, go through its queue, and the client
reads every frame whole and in the order it was sent. Real parts: python-socketio's server and manager,
python-engineio's socket and gevent queue, a gevent socket pair with a small send buffer,
simple-websocket's connection with this app's frames; the loop's turn is run by the test."""
from __future__ import annotations

import socket
import struct

import engineio
import gevent
import gevent.socket
import pytest
import socketio
from wsproto import ConnectionType

from realtime.direct_writes import write_directly
from realtime.websocket_compression import compress_websockets
from realtime.websocket_frames import WholeFrames, write_whole_frames
from tests.test_websocket_frames import Connected, Idle  # a simple-websocket connection without its reader


@pytest.fixture
def connection():
    """An engine.io connection upgraded to a websocket, as engineio's handler leaves it (with what
    realtime.websocket_frames remembers of it), connected to Socket.IO's namespace; the client's end of
    its socket; the Socket.IO server writing directly; the callbacks waiting for the loop's turn."""
    write_whole_frames()
    compress_websockets("1024")
    server_end, client_end = gevent.socket.socketpair()
    server_end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)  # full after a few frames
    client_end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    websocket = Connected(server_end, connection_type=ConnectionType.SERVER, thread_class=Idle)
    assert isinstance(websocket.sock, WholeFrames)
    sio = socketio.Server(async_mode="gevent")
    eio_socket = engineio.socket.Socket(sio.eio, "eio-1")
    eio_socket.connected = eio_socket.upgraded = True
    eio_socket.switchboard_frames, eio_socket.switchboard_websocket = websocket.sock, websocket
    sio.eio.sockets["eio-1"] = eio_socket
    sid = sio.manager.connect("eio-1", "/")
    turn: list = []
    write_directly(sio, run_callback=turn.append)
    yield Wired(eio_socket, client_end, sio, sid, turn)
    server_end.close()
    client_end.close()


class Wired:
    def __init__(self, eio_socket, client_end, sio, sid, turn) -> None:
        self.eio_socket, self.client_end, self.sio, self.sid, self.turn = eio_socket, client_end, sio, sid, turn

    def ack(self, number: int, size: int = 300) -> str:
        """An ack of python-socketio's (any packet but an event), as it sends one; its text on the wire."""
        answer = [{"n": number, "x": "x" * size}]
        self.sio._send_packet("eio-1", socketio.packet.Packet(socketio.packet.ACK, data=answer, id=number))
        return f'43{number}[{{"n":{number},"x":"{"x" * size}"}}]'

    def event(self, number: int, size: int = 300) -> str:
        """An event to this socket's room, as the fan-out emits it; its text on the wire."""
        self.sio.emit("message:new", {"n": number, "x": "x" * size}, to=self.sid)
        return f'42["message:new",{{"n":{number},"x":"{"x" * size}"}}]'

    def loop_turn(self) -> None:
        callbacks, self.turn[:] = list(self.turn), []
        for callback in callbacks:
            callback()

    def writer_turn(self) -> None:
        """What engineio's writer greenlet does when it wakes: write everything queued, in order."""
        for queued in self.eio_socket.poll():
            self.eio_socket.switchboard_websocket.send(queued.encode())


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


def test_an_ack_to_an_idle_websocket_is_written_at_once(connection):
    ack = connection.ack(1)
    assert connection.eio_socket.queue.qsize() == 0 and connection.turn == []
    assert read_frames(connection.client_end, 1) == [ack]


def test_the_events_of_a_turn_are_written_once_the_loop_has_its_turn(connection):
    events = [connection.event(number) for number in range(3)]
    assert len(connection.turn) == 1  # one write of everything pending, whatever the number of events
    connection.loop_turn()
    assert read_frames(connection.client_end, 3) == events
    assert connection.eio_socket.queue.qsize() == 0


def test_an_ack_comes_after_the_events_its_connection_had_pending(connection):
    sent = [connection.event(1), connection.event(2), connection.ack(3)]
    assert read_frames(connection.client_end, 3) == sent  # without the loop's turn: the ack cannot wait
    connection.loop_turn()
    sent.append(connection.event(4))
    connection.loop_turn()
    assert read_frames(connection.client_end, 1) == sent[3:]


def test_engineio_packets_come_after_the_events_their_connection_had_pending(connection):
    event = connection.event(1)
    connection.eio_socket.send(engineio.packet.Packet(engineio.packet.PING))  # engine.io's own: queued
    connection.loop_turn()
    connection.writer_turn()
    assert read_frames(connection.client_end, 2) == [event, "2"]


def test_what_a_full_socket_does_not_take_is_written_by_the_writer_in_order(connection):
    sent = []
    for number in range(60):  # ~120 KB: far past both buffers
        sent.append(connection.ack(number, size=2000) if number % 3 else connection.event(number, size=2000))
        if number % 10 == 9:
            connection.loop_turn()
    assert connection.eio_socket.queue.qsize() > 0  # the socket stopped taking frames: the rest waits
    reader = gevent.spawn(read_frames, connection.client_end, len(sent))  # reads while the writer waits
    while connection.eio_socket.queue.qsize():
        connection.writer_turn()
    assert reader.get(timeout=10) == sent


def test_a_closed_connection_gets_nothing_more(connection):
    connection.event(1)
    connection.eio_socket.closed = True
    connection.loop_turn()
    assert connection.eio_socket.queue.qsize() == 0
