"""One gateway WebSocket: who is logged in on it, what it follows, and its outgoing packets.

Packets to a connection never block whoever sends them (the bus's delivery, another client's
request): `push` appends to the connection's outbox and its own writer greenlet writes them, one
at a time, in order. A client that reads too slowly (a write to it is blocked) while
GATEWAY_SEND_QUEUE more packets wait is cut at once (the socket is shut down, so its blocked
writer stops too): it costs everyone else nothing, and on reconnecting it catches up from the
history.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import datetime

from simple_websocket import ConnectionClosed

from actions.rate_limits import RefusedConnection
from realtime.answer_first import wait_until_written

log = logging.getLogger(__name__)

ANSWERED_REMEMBERED = 256  # own sends answered on this connection, whose fan-out it skips

# WebSocket close codes (RFC 6455)
NORMAL, GOING_AWAY, PROTOCOL_ERROR, UNSUPPORTED_DATA, POLICY_VIOLATION, TOO_BIG = 1000, 1001, 1002, 1003, 1008, 1009


class Connection:
    def __init__(self, ws, address: str | None, send_queue: int, start_background_task: Callable,
                 sleep: Callable[[float], None]) -> None:
        self.id = uuid.uuid4().hex
        self.ws = ws
        self.address = address
        self.user_id: int | None = None
        self.token_id: int | None = None
        self.token_expires_at: datetime | None = None  # for its pings (gateway.commands.ping)
        self.logged_in_at = 0.0  # time.time() once its login committed (SESSION_POLICY=single spares later ones)
        self.conversations: set[int] = set()
        self._send_queue = send_queue
        self._sleep = sleep
        self._outbox: deque[bytes] = deque()
        self._wakeup = threading.Event()  # gevent's own once the worker is patched
        self._queued = self._written = 0
        self._writing = False
        self._closing: tuple[int, str] | None = None
        self.in_command = False  # its reader runs a command (gateway.session.answer)
        self.after_answer: list[bytes] = []  # packets the running command sends after its answer
        self._ending: tuple[int, str, bytes] | None = None
        self.dead = False
        self._answered: deque[int] = deque(maxlen=ANSWERED_REMEMBERED)
        self.rate_limited = RefusedConnection()  # closed at its SOCKET_BUSY_DISCONNECT-th within a minute
        start_background_task(self._write)

    @property
    def presence_id(self) -> str:
        """How presence (and the back office's count of live connections) knows this connection."""
        return "gateway:" + self.id

    @property
    def closing(self) -> bool:
        return self._closing is not None or self.dead

    def push(self, packet: bytes) -> None:
        """Queue a packet for this client; never blocks."""
        if self.closing:
            return
        # Only while a write is blocked on the client: a burst queued before the writer had its turn is no fault.
        if len(self._outbox) >= self._send_queue and self._writing:
            log.warning("gateway connection %s (%s) does not read its packets: %s waiting, cut",
                        self.id, self.address, len(self._outbox))
            self.abort()
            return
        self._outbox.append(packet)
        self._queued += 1
        self._wakeup.set()

    def close(self, code: int, reason: str) -> None:
        """Close once what is queued has been written (the last packet usually says why)."""
        if self._closing is None:
            self._closing = (code, reason)
            self._wakeup.set()

    @property
    def ending(self) -> bool:
        return self._ending is not None

    def end_when_idle(self, code: int, reason: str, packet: bytes) -> None:
        """Send `packet` and close, once the command running now (if any) has been answered."""
        self._ending = (code, reason, packet)
        if not self.in_command:
            self._end()

    def command_done(self) -> None:
        self.in_command = False
        if self._ending is not None:
            self._end()

    def _end(self) -> None:
        code, reason, packet = self._ending
        self.push(packet)
        self.close(code, reason)

    def abort(self) -> None:
        """Cut the connection now, whatever is queued or being written."""
        self.dead = True
        self._outbox.clear()
        self._wakeup.set()
        try:
            self.ws.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.ws.event.set()  # its reader stops waiting

    def finish(self, timeout: float) -> None:
        """The reader is done: let the writer send what is queued and the close, then cut what is left."""
        self.close(NORMAL, "")
        deadline = time.monotonic() + timeout
        while not self.dead and time.monotonic() < deadline:
            self._sleep(0.01)
        self.abort()

    def wait_written(self) -> None:
        """Until everything queued so far is on the wire (realtime.answer_first says how long at most)."""
        target = self._queued
        wait_until_written(lambda: self._written >= target, lambda: self._writing, lambda: self.dead, self._sleep,
                           f"im:{self.id}")

    def remember_answered(self, message_id: int) -> None:
        """This connection has the message already (its sender's answer): skip its fan-out here."""
        self._answered.append(message_id)

    def was_answered(self, message_id: int) -> bool:
        if message_id in self._answered:
            self._answered.remove(message_id)
            return True
        return False

    def _write(self) -> None:
        while True:
            self._wakeup.wait()
            self._wakeup.clear()
            while self._outbox and not self.dead:
                self._writing = True
                try:
                    self.ws.send(self._outbox.popleft())
                except (ConnectionClosed, OSError):
                    self.dead = True
                self._writing = False
                self._written += 1
            if self.dead:
                return
            if self._closing is not None:
                code, reason = self._closing
                try:
                    self.ws.close(code, reason)
                except (ConnectionClosed, OSError):
                    pass
                self.dead = True
                self.ws.event.set()  # its reader stops waiting
                return
