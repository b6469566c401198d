"""When a user comes online or goes offline, across all their tabs, devices and server processes.

The presence store (realtime.presence) counts live connections; this decides the transitions
people are told about (actions.presence.announce_presence_changes):

- online: at the user's first connection anywhere;
- offline: once the last one has been gone for PRESENCE_GRACE_SECONDS (a page reload, a
  reconnect after a network blip or a move to another process says nothing);
- a killed process's users: its connections vanish from the store when its Redis key expires,
  and the next sweep (every heartbeat) of any process finds them gone.

A closed connection's user is last seen now: that write waits for the same batch too (one UPDATE
for everyone who left meanwhile, not a commit per disconnect: a reconnect storm drops thousands of
connections at once, issue 15).

Each transition is announced once: "who was announced online" is a set shared by the processes
(Redis when presence is in Redis, the process's memory otherwise), and the process that adds a
user to it, or removes them, is the one that tells. Redis may lose that set (restarted without its
data): the set has an epoch, a new one once it was lost, and a user whose connection here opened
in an earlier epoch and who is not in the set when they leave is told offline anyway by this
process (by each process they left, at worst: told twice rather than never).

Transitions are batched: one look at the store and one transaction every PRESENCE_BATCH_SECONDS for
all of them.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid

from flask import Flask

log = logging.getLogger(__name__)

ANNOUNCED_KEY = "switchboard:presence:announced"
EPOCH_KEY = "switchboard:presence:announced:epoch"  # a new value once Redis lost the announced set


class LocalAnnounced:
    def __init__(self) -> None:
        self._users: set[int] = set()

    def add(self, user_id: int) -> bool:
        if user_id in self._users:
            return False
        self._users.add(user_id)
        return True

    def remove(self, user_id: int) -> bool:
        if user_id not in self._users:
            return False
        self._users.discard(user_id)
        return True

    def members(self) -> set[int]:
        return set(self._users)

    def epoch(self) -> str:
        return "this process"  # lost only with the process, and its connections with it


class RedisAnnounced:
    """SADD / SREM answer 1 to exactly one process: that one tells."""

    def __init__(self, redis_client) -> None:
        self.redis = redis_client

    def add(self, user_id: int) -> bool:
        return bool(self.redis.sadd(ANNOUNCED_KEY, user_id))

    def remove(self, user_id: int) -> bool:
        return bool(self.redis.srem(ANNOUNCED_KEY, user_id))

    def members(self) -> set[int]:
        return {int(user_id) for user_id in self.redis.smembers(ANNOUNCED_KEY)}

    def epoch(self) -> str:
        """Which announced set this is: the first process to find none (at the start, or after Redis
        lost its data) begins a new one."""
        self.redis.set(EPOCH_KEY, uuid.uuid4().hex, nx=True)
        epoch = self.redis.get(EPOCH_KEY)
        return epoch.decode() if isinstance(epoch, bytes) else str(epoch)


class PresenceTracker:
    def __init__(self, app: Flask, store, start_background_task, sleep) -> None:
        self.app = app
        self.store = store
        redis_client = getattr(store, "redis", None)
        self.announced = RedisAnnounced(redis_client) if redis_client is not None else LocalAnnounced()
        self.unavailable = getattr(store, "_unavailable", ())
        self.grace = float(app.config["PRESENCE_GRACE_SECONDS"])
        self.batch = float(app.config["PRESENCE_BATCH_SECONDS"])
        self.sweep_every = getattr(store, "HEARTBEAT_SECONDS", None)  # None: one process, nothing to sweep
        self._start_background_task = start_background_task
        self._sleep = sleep
        self._lock = threading.Lock()
        self._came: set[int] = set()  # announced online by this process, not told yet
        self._recheck: set[int] = set()  # opened while the announced set was unreachable
        self._closed: dict[int, float] = {}  # user id -> when to check that they are still gone
        self._left: set[int] = set()  # a connection of theirs closed: last seen now, at the next batch
        self._missing_since: dict[int, float] = {}  # announced online, not in the store (sweeps)
        self._epoch: str | None = None  # of the announced set, as last read (every sweep)
        self._opened_in: dict[int, str | None] = {}  # user id -> the epoch their latest connection here opened in
        self._next_sweep = 0.0
        self._started = False

    def opened(self, user_id: int) -> None:
        """A connection of the user opened (the store has it): the first one anywhere is announced."""
        if self._epoch is None:  # this process's first connections, before its first sweep read it
            try:
                self._epoch = self.announced.epoch()
            except self.unavailable:  # Redis away: the first sweep reads it
                pass
        with self._lock:
            self._closed.pop(user_id, None)  # back within the grace period: nothing to tell
            self._opened_in[user_id] = self._epoch
        try:
            first = self.announced.add(user_id)
        except self.unavailable:  # Redis away: the next round looks again
            first = None
        with self._lock:
            if first is None:
                self._recheck.add(user_id)
            elif first:
                self._came.add(user_id)
        self._start()

    def closed(self, user_id: int) -> None:
        with self._lock:
            self._closed[user_id] = time.monotonic() + self.grace
            self._left.add(user_id)
        self._start()

    def _start(self) -> None:
        if not self._started and self.batch > 0:  # 0: never told (the in-process test apps)
            self._started = True
            self._start_background_task(self._run)

    def _run(self) -> None:
        while True:
            self._sleep(self.batch)
            try:
                self.flush()
            except Exception as error:  # the next round tries again
                from models.database import is_unavailable

                if is_unavailable(error):  # a restart, the pool exhausted: one line, no traceback
                    log.warning("presence batch: database unavailable (%s)", type(error).__name__)
                else:
                    log.exception("presence: announcing the changes failed")

    def _take_due(self, now: float) -> tuple[set[int], set[int], set[int], set[int]]:
        with self._lock:
            came, recheck, left = self._came, self._recheck, self._left
            self._came, self._recheck, self._left = set(), set(), set()
            gone = {user_id for user_id, at in self._closed.items() if at <= now}
            for user_id in gone:
                del self._closed[user_id]
        return came, recheck, gone, left

    def flush(self) -> dict[int, bool]:
        """Announce the transitions that are due, and record who left as last seen now; returns the
        transitions (user id -> online)."""
        now = time.monotonic()
        came, recheck, gone, left = self._take_due(now)
        changes = dict.fromkeys(came, True)
        sweeping = self.sweep_every is not None and now >= self._next_sweep
        if gone or recheck or sweeping:
            try:
                online = self.store.online_user_ids()
                for user_id in gone:
                    if user_id in online:
                        continue
                    tell = self.announced.remove(user_id) or self._announcement_lost(self._opened_in.get(user_id))
                    self._opened_in.pop(user_id, None)
                    if not tell:
                        continue
                    if user_id in came:  # online and gone within one batch: nobody needs to hear either
                        del changes[user_id]
                    else:
                        changes[user_id] = False
                changes.update(dict.fromkeys(
                    (user_id for user_id in recheck if user_id in online and self.announced.add(user_id)), True))
                if sweeping:
                    self._next_sweep = now + self.sweep_every
                    self._epoch = self.announced.epoch()
                    changes.update(self._sweep(online, now))
            except self.unavailable as error:  # Redis away: the same users are looked at again next round
                log.warning("presence: store unavailable, transitions wait (%s)", error)
                with self._lock:
                    self._recheck.update(recheck)
                    for user_id in gone:
                        self._closed.setdefault(user_id, now)
        if changes or left:
            from actions.accounts import record_seen
            from actions.presence import announce_presence_changes
            from events.unit_of_work import atomic

            try:
                with self.app.app_context(), atomic():
                    record_seen(left - set(changes))  # the others are last seen now by the announcement
                    if changes:
                        announce_presence_changes(changes)
            except Exception:
                with self._lock:  # the next round writes them (an announcement is not repeated)
                    self._left |= left
                raise
        return changes

    def _announcement_lost(self, opened_in: str | None) -> bool:
        """Whether a user missing from the announced set, whose connection here opened in epoch
        `opened_in`, was lost with the set rather than told offline by another process."""
        if opened_in is None:  # opened before this process knew the epoch: as if told elsewhere
            return False
        self._epoch = self.announced.epoch()
        return opened_in != self._epoch

    def _sweep(self, online: set[int], now: float) -> dict[int, bool]:
        """Users announced online whose connections are all gone without a goodbye (their process
        was killed) go offline once missing for the grace period; users connected to a process
        whose announcement was lost (Redis restarted empty) come back online."""
        announced = self.announced.members()
        gone = announced - online
        for user_id in list(self._missing_since):
            if user_id not in gone:
                del self._missing_since[user_id]
        overdue = set()
        for user_id in gone:
            since = self._missing_since.setdefault(user_id, now)
            if now - since >= self.grace:
                overdue.add(user_id)
                del self._missing_since[user_id]
        changes = {user_id: False for user_id in overdue if self.announced.remove(user_id)}
        changes.update({user_id: True for user_id in online - announced if self.announced.add(user_id)})
        return changes


class TrackedPresence:
    """The presence store, telling the tracker of every connection that opens or closes."""

    def __init__(self, store, tracker: PresenceTracker) -> None:
        self.store = store
        self.tracker = tracker

    def connected(self, user_id: int, sid: str) -> None:
        self.store.connected(user_id, sid)
        self.tracker.opened(user_id)

    def disconnected(self, user_id: int, sid: str) -> None:
        self.store.disconnected(user_id, sid)
        self.tracker.closed(user_id)

    def __getattr__(self, name: str):
        return getattr(self.store, name)
