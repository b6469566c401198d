"""Engine.IO pings from one loop per server, not from a greenlet per connection.

python-engineio 4 pings each client `ping_interval` after its last pong: `Socket.schedule_ping`
starts a background task per connection that sleeps that long and sends the PING. So every idle
connection holds a sleeping greenlet of its own, most of the time (about 8 KB of saved stack and
frames; issue 15, memory per idle connection). Every connection of a server waits the same
interval, so their pings fall due in the order they were scheduled: one FIFO per server and one
task that sleeps until the oldest is due do the same work, and the task ends whenever the line is
empty. What a ping does is python-engineio's own (`_send_ping` without its sleep).
"""
from __future__ import annotations

import collections
import functools
import logging
import threading
import time

import engineio.packet
import engineio.socket

log = logging.getLogger(__name__)


class Pings:
    """One server's pings due, oldest first, and the task sending them while there are any."""

    def __init__(self, server) -> None:
        self.server = server
        self.due: collections.deque = collections.deque()  # (when, engine.io socket)
        self.running = False
        self.lock = threading.Lock()  # threading mode (tests, `python app.py`): scheduled from many threads

    def schedule(self, socket) -> None:
        self.due.append((time.monotonic() + self.server.ping_interval, socket))
        with self.lock:
            if self.running:
                return
            self.running = True
        self.server.start_background_task(self._send_due)

    def _send_due(self) -> None:
        while True:
            with self.lock:
                if not self.due:
                    self.running = False
                    return
                when, socket = self.due[0]
            wait = when - time.monotonic()
            if wait > 0:
                self.server.sleep(wait)
                continue
            self.due.popleft()
            if not socket.closing and not socket.closed:
                socket.last_ping = time.time()
                try:
                    socket.send(engineio.packet.Packet(engineio.packet.PING))
                except Exception:  # one connection's fault must not end every other connection's pings
                    log.exception("engine.io ping of %s failed", getattr(socket, "sid", "a socket"))


def ping_from_one_loop() -> None:
    """Every engine.io server's pings from its Pings from now on (patched once per process)."""
    original = engineio.socket.Socket.schedule_ping
    if getattr(original, "one_loop", False):
        return

    @functools.wraps(original)
    def schedule_ping(self):
        if self.last_ping:  # as python-engineio: only once the previous ping's cycle is complete
            self.last_ping = None
            pings = self.server.__dict__.get("switchboard_pings")
            if pings is None:
                pings = self.server.switchboard_pings = Pings(self.server)
            pings.schedule(self)

    schedule_ping.one_loop = True
    engineio.socket.Socket.schedule_ping = schedule_ping
