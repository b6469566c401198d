"""Each socket's events, one at a time and in the order they arrived; a full queue refuses at once.

python-socketio starts a greenlet for every incoming event, so without a bound one socket
emitting thousands of events at once fills the one worker loop with its handlers and everyone
else's acks wait behind them. Here each socket gets a short queue: an event is admitted if
fewer than `limit` of that socket's events are admitted already (one running, the others
waiting for their turn), and refused otherwise, before it touches the database. A socket that
keeps sending into a full queue is disconnected at its `refusals_before_disconnect`-th refusal
(0: never), counted since it last had nothing in flight.

Turns pass in admission order: each admitted event waits for the one admitted before it, and
passes its own turn on when `finish()` is called (after its ack is written and its events are
released, blueprints.chat.socket_support). Under gevent an event's greenlet is started in the
order python-socketio read the packets from the connection, so a socket's events run in the
order the client sent them. `threading` primitives are gevent's own once the worker is patched.
"""
from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass


@dataclass
class _Lane:
    admitted: int = 0
    refused: int = 0  # since the socket last had nothing admitted
    tail: threading.Event | None = None  # set when the last admitted event has finished


class Turn:
    """One admitted event's place in its socket's queue."""

    def __init__(self, queues: SocketQueues, key: Hashable, previous: threading.Event | None) -> None:
        self._queues, self._key, self._previous = queues, key, previous
        self.done = threading.Event()

    def wait(self) -> None:
        """Until every event admitted before this one on the same socket has finished."""
        if self._previous is not None:
            self._previous.wait()
            self._previous = None

    def finish(self) -> None:
        self._queues._finish(self._key, self)


@dataclass(frozen=True)
class Refusal:
    """An event refused because its socket's queue is full; `disconnect`: the socket went too far."""

    disconnect: bool


class SocketQueues:
    """The queues of every socket of the process, by socket id."""

    def __init__(self) -> None:
        self._lanes: dict[Hashable, _Lane] = {}
        self._lock = threading.Lock()

    def admit(self, key: Hashable, limit: int, refusals_before_disconnect: int) -> Turn | Refusal:
        with self._lock:
            lane = self._lanes.setdefault(key, _Lane())
            if lane.admitted >= limit:
                lane.refused += 1
                return Refusal(disconnect=lane.refused == refusals_before_disconnect)
            turn = Turn(self, key, lane.tail)
            lane.admitted += 1
            lane.tail = turn.done
            return turn

    def _finish(self, key: Hashable, turn: Turn) -> None:
        with self._lock:
            lane = self._lanes[key]
            lane.admitted -= 1
            if lane.admitted == 0:
                del self._lanes[key]  # nothing in flight: forget the socket
        turn.done.set()

    def in_flight(self, key: Hashable) -> int:
        lane = self._lanes.get(key)
        return lane.admitted if lane is not None else 0
