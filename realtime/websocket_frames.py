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


class WholeFrames:
    """A socket whose `send` writes everything it is given before the next caller writes."""

    def __init__(self, sock) -> None:
        self._sock = sock
        self._sending = threading.Lock()  # gevent's own once the worker is patched

    def send(self, data: bytes) -> int:
        with self._sending:
            self._sock.sendall(data)
        return len(data)

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
