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

A greenlet (or thread) already admitted is never stopped again: a unit opened inside another, in a
second app context or session of the same greenlet, joins its place (no deadlock against itself). A
wait past DATABASE_POOL_TIMEOUT raises `UnitsBusy`, an outage like the pool's own timeout, which every
transport answers `unavailable` (blueprints.faults). events.unit_of_work enters and leaves the gate
when a unit opens and ends; nothing else does. Off (size 0) by default on SQLite: its statements
never wait in the hub (a unit gives up the CPU only for other I/O), so there is no line to keep.
"""
from __future__ import annotations

import threading
import time
from collections import deque

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
        self._admitted: dict[object, int] = {}  # greenlet -> units it has open
        self._lock = threading.Lock()

    @property
    def waiting(self) -> int:
        return len(self._line)

    @property
    def in_use(self) -> int:
        return self.size - self._free

    def enter(self) -> None:
        me = getcurrent()
        with self._lock:
            if me in self._admitted:  # already admitted: an inner unit never waits for its own place
                self._admitted[me] += 1
                return
            if self._free > 0:
                self._free -= 1
                self._admitted[me] = 1
                return
            waiter = _Waiter()
            self._line.append(waiter)
            ahead, started = len(self._line) - 1, time.monotonic()
        try:
            waiter.woken.wait(self.timeout)
        except BaseException:  # killed while in line (a worker stopping): pass on a place given meanwhile
            with self._lock:
                if waiter.admitted:
                    self._pass_on()
                else:
                    self._line.remove(waiter)
            raise
        with self._lock:
            if waiter.admitted:  # handed a place, perhaps just as the wait ran out: it is ours
                self._admitted[me] = 1
                return
            self._line.remove(waiter)
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
        """A place given back goes straight to the first in line: nobody arriving now can take it first."""
        if self._line:
            waiter = self._line.popleft()
            waiter.admitted = True
            waiter.woken.set()
        else:
            self._free += 1


def init_app(app: Flask) -> None:
    """The app's gate, sized by DATABASE_UNITS_AT_ONCE (0: none) and waited for at most as long as
    the pool's timeout."""
    size = app.config["DATABASE_UNITS_AT_ONCE"]
    timeout = app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_timeout", 10.0)
    app.extensions["unit_gate"] = UnitGate(size, timeout) if size > 0 else None


def enter_unit() -> None:
    """Take a place for the unit of work opening now (events.unit_of_work), waiting in line if need be."""
    gate = current_app.extensions.get("unit_gate")
    if gate is not None:
        gate.enter()


def leave_unit() -> None:
    gate = current_app.extensions.get("unit_gate")
    if gate is not None:
        gate.leave()
