"""The gate in front of the units of work: at most DATABASE_UNITS_AT_ONCE of them use the database
at once in a process, the others wait in line, first come first served, before they take any CPU.

Why (issue 15, the reconnect storm on PostgreSQL): under gevent every statement waits for the
database in the hub, and the greenlet holding a connection runs again only after every other
runnable greenlet. With hundreds of connects and syncs runnable, a unit of work of nine statements
kept its connection for seconds and the pool refused the rest `unavailable` after its timeout; the
pool's own wait is not first come first served either (a connection given back goes to whoever asks
next, not to whoever has waited longest). Behind the gate the waiting units are parked, not runnable;
a unit that ends hands its place to the first in line; and the admitted ones, never more than the pool
has connections, find one free.

A message being sent (`sending()`: Socket.IO's `message:send`, the gateway's send, REST's POST of a
message) waits in a line of its own, and while both lines wait every other place given back goes to
it: during a reconnect storm a user's send is not acknowledged only after the thousands of connects
and syncs that came before it (its ack p99 was 18.8 s in the PostgreSQL storm of docs/benchmarks.md),
and the storm still gets every second place, so neither line starves the other. Each line is first
come first served.

A greenlet (or thread) already admitted is never stopped again: a unit opened inside another, in a
second app context or session of the same greenlet, joins its place (no deadlock against itself). A
wait past DATABASE_POOL_TIMEOUT raises `UnitsBusy`, an outage like the pool's own timeout, which every
transport answers `unavailable` (blueprints.faults). events.unit_of_work enters and leaves the gate
when a unit opens and ends; nothing else does. Off (size 0) by default on SQLite: its statements
never wait in the hub (a unit gives up the CPU only for other I/O), so there is no line to keep.
"""
from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from flask import Flask, current_app
from greenlet import getcurrent
from sqlalchemy import exc


class UnitsBusy(exc.TimeoutError):
    """Every place taken for the whole wait: the database is unavailable for now (retryable)."""


class _Waiter:
    __slots__ = ("admitted", "woken")

    def __init__(self) -> None:
        self.admitted = False
        self.woken = threading.Event()  # gevent's Event once the worker has monkey-patched threading


class UnitGate:
    """`size` places; `enter()` takes one (or waits in line up to `timeout` seconds), `leave()` gives it
    to the first in line. Both are keyed by the calling greenlet, so they nest."""

    def __init__(self, size: int, timeout: float) -> None:
        self.size, self.timeout = size, timeout
        self._free = size
        self._line: deque[_Waiter] = deque()
        self._sends: deque[_Waiter] = deque()  # messages being sent: every other place while both wait
        self._sends_turn = True
        self._admitted: dict[object, int] = {}  # greenlet -> units it has open
        self._lock = threading.Lock()

    @property
    def waiting(self) -> int:
        return len(self._line) + len(self._sends)

    @property
    def sends_waiting(self) -> int:
        return len(self._sends)

    @property
    def in_use(self) -> int:
        return self.size - self._free

    def enter(self, send: bool = False) -> None:
        """`send`: a message being sent, in the senders' line."""
        me = getcurrent()
        with self._lock:
            if me in self._admitted:  # already admitted: an inner unit never waits for its own place
                self._admitted[me] += 1
                return
            if self._free > 0:
                self._free -= 1
                self._admitted[me] = 1
                return
            waiter, line = _Waiter(), self._sends if send else self._line
            line.append(waiter)
            ahead, started = len(line) - 1, time.monotonic()
        try:
            waiter.woken.wait(self.timeout)
        except BaseException:  # killed while in line (a worker stopping): pass on a place given meanwhile
            with self._lock:
                if waiter.admitted:
                    self._pass_on()
                else:
                    line.remove(waiter)
            raise
        with self._lock:
            if waiter.admitted:  # handed a place, perhaps just as the wait ran out: it is ours
                self._admitted[me] = 1
                return
            line.remove(waiter)
        raise UnitsBusy(f"{self.size} units of work using the database, {ahead} waiting ahead; "
                        f"none ended in {time.monotonic() - started:.1f} s")

    def leave(self) -> None:
        me = getcurrent()
        with self._lock:
            units = self._admitted.get(me)
            if units is None:
                return
            if units > 1:
                self._admitted[me] = units - 1
                return
            del self._admitted[me]
            self._pass_on()

    def _pass_on(self) -> None:
        """A place given back goes straight to the first in line (while both lines wait, to each line
        in turn): nobody arriving now can take it first."""
        both_wait = bool(self._sends and self._line)
        if self._sends and (self._sends_turn or not self._line):
            waiter = self._sends.popleft()
        elif self._line:
            waiter = self._line.popleft()
        else:
            self._free += 1
            return
        if both_wait:
            self._sends_turn = not self._sends_turn
        waiter.admitted = True
        waiter.woken.set()


def init_app(app: Flask) -> None:
    """The app's gate, sized by DATABASE_UNITS_AT_ONCE (0: none) and waited for at most as long as
    the pool's timeout."""
    size = app.config["DATABASE_UNITS_AT_ONCE"]
    timeout = app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_timeout", 10.0)
    app.extensions["unit_gate"] = UnitGate(size, timeout) if size > 0 else None


_sending: ContextVar[bool] = ContextVar("sending", default=False)


@contextlib.contextmanager
def sending(send: bool = True) -> Iterator[None]:
    """The units opened inside send a message (if `send`): they wait in the senders' line (see above)."""
    token = _sending.set(send)
    try:
        yield
    finally:
        _sending.reset(token)


def sends_a_message(view: Callable) -> Callable:
    """Marks an HTTP view that sends a message: its request's unit waits in the senders' line."""
    view.sends_a_message = True
    return view


def enter_unit() -> None:
    """Take a place for the unit of work opening now (events.unit_of_work), waiting in line if need be
    (the senders' line inside `sending()`)."""
    gate = current_app.extensions.get("unit_gate")
    if gate is not None:
        gate.enter(send=_sending.get())


def leave_unit() -> None:
    gate = current_app.extensions.get("unit_gate")
    if gate is not None:
        gate.leave()
