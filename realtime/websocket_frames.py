"""Whole websocket frames on the wire, whatever the client's reading speed.

simple-websocket 1.1.0 (what python-engineio uses under gevent and werkzeug) writes each
frame with a single `socket.send` and ignores how much of it the kernel took. When a client
reads slowly and the connection's buffers are full (a burst of events, big `sync` answers on a
slow link), the rest of the frame is dropped, and the client reads every later frame as
garbage: its connection breaks (miguelgrinberg/simple-websocket#45, fixed upstream but not in
a release yet). So the sockets simple-websocket is given write all of each frame, one frame at
a time: the frame's bytes must not interleave with a pong its reader writes meanwhile.
"""
from __future__ import annotations

import functools
import threading

import simple_websocket.ws


class Framed(bytes):
    """Bytes that are websocket frames already: a server connection's `send` writes them as they are
    (realtime.websocket_compression; realtime.direct_writes queues the rest of a frame so)."""


class WholeFrames:
    """A socket whose `send` writes everything it is given before the next caller writes."""

    def __init__(self, sock) -> None:
        self._sock = sock
        self._sending = threading.Lock()  # gevent's own once the worker is patched

    def send(self, data: bytes) -> int:
        with self._sending:
            # One send() takes a whole frame whenever the socket's buffer has room (nearly always);
            # gevent's sendall asks the kernel for the buffer's size first, a system call per frame
            # that was 15% of the worker in a fan-out profile (docs/benchmarks.md).
            sent = self._sock.send(data)
            if sent < len(data):
                self._sock.sendall(memoryview(data)[sent:])
        return len(data)

    def send_now(self, data: bytes) -> int:
        """Write what the socket takes without waiting (0 if its buffer is full), unless a frame is
        being written (0): the caller queues the rest for the connection's writer."""
        if self._sending.locked():
            return 0
        try:
            return self._sock.send(data, 0, 0.0)  # gevent's socket: a timeout of 0 never waits
        except BlockingIOError:
            return 0

    @property
    def writing(self) -> bool:
        """A frame is being written (its writer waits for the client to read)."""
        return self._sending.locked()

    def __getattr__(self, name: str):
        return getattr(self._sock, name)


def write_whole_frames() -> None:
    """Give every simple-websocket connection made from now on a WholeFrames socket (once per process)."""
    base = simple_websocket.ws.Base
    original = base.__init__
    if getattr(original, "writes_whole_frames", False):
        return

    @functools.wraps(original)
    def __init__(self, sock=None, *args, **kwargs):
        original(self, WholeFrames(sock) if sock is not None else None, *args, **kwargs)

    __init__.writes_whole_frames = True
    base.__init__ = __init__
    _remember_frames_socket()


def frames_socket(eio_socket) -> WholeFrames | None:
    """The WholeFrames socket under an engine.io connection on websocket, or None (polling)."""
    return getattr(eio_socket, "switchboard_frames", None)


def _remember_frames_socket() -> None:
    """Each engine.io connection that upgrades to websocket keeps its WholeFrames socket, so
    that the socket queues can tell when what was queued has been written, and its simple-websocket
    connection, which realtime.direct_writes writes to when nothing is queued."""
    import engineio.socket

    original = engineio.socket.Socket._websocket_handler
    if getattr(original, "remembers_frames", False):
        return

    @functools.wraps(original)
    def _websocket_handler(self, ws):
        websocket = getattr(ws, "ws", ws)  # simple-websocket's server connection
        sock = getattr(websocket, "sock", None)
        self.switchboard_frames = sock if isinstance(sock, WholeFrames) else None
        self.switchboard_websocket = websocket if self.switchboard_frames is not None else None
        return original(self, ws)

    _websocket_handler.remembers_frames = True
    engineio.socket.Socket._websocket_handler = _websocket_handler
