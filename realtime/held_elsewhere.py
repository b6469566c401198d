"""Revisions held by any process, in Redis: with several processes, a reorder buffer waits for a
revision another process holds until its author's answer is written (events.unreleased), as it
waits for its own.

A process on its own (realtime.bus.LocalBus) needs none of this: its buffers see its holds. Over
Redis, the process that commits a revision for a transport sets `switchboard:held:<conversation>:<revision>`
(expiring after events.unreleased.HELD_AT_MOST: a holder that died) before its COMMIT, and
deletes it once the revision's events are released or its transaction rolled back. A later
revision of the conversation commits after that COMMIT (the conversation's row is locked from a
revision's allocation to its commit), so a buffer that sees the gap finds the key until the
release, whose frames are then already on the bus. Asked only for a gap still open after the
buffer's wait: the other processes pay nothing per message; the holder two round trips.

When Redis cannot be reached (the bus is degraded then, realtime.bus) a hold is not written and a
gap is read from the database as before. After a call that failed, Redis is not asked again for
QUIET_AFTER_FAILURE: a Redis that does not answer at all (a cut network) would otherwise cost every
held change its timeout, with the conversation's row locked.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from events.unreleased import HELD_AT_MOST, Revision

log = logging.getLogger(__name__)

KEY = "switchboard:held:{}:{}"
NEWEST_ASKED = 64  # of a long range, the revisions asked for: those held now are the conversation's newest
QUIET_AFTER_FAILURE = 1.0  # seconds


class RedisHolds:
    def __init__(self, url: str, held_at_most: float = HELD_AT_MOST, timeout: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        import redis

        # Asked before a COMMIT, with the conversation's row locked: a Redis that stops answering
        # costs `timeout` once, then the changes go on without their holds.
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        self._unreachable = (redis.RedisError, OSError)
        self._milliseconds = max(1, round(held_at_most * 1000))
        self._clock = clock
        self._quiet_until = 0.0

    def hold(self, revisions: list[Revision]) -> None:
        if len(revisions) == 1:
            self._ask(lambda: self._redis.set(KEY.format(*revisions[0]), 1, px=self._milliseconds))
        else:
            self._ask(lambda: self._pipelined(revisions))

    def let_go(self, revisions: list[Revision]) -> None:
        self._ask(lambda: self._redis.delete(*(KEY.format(*revision) for revision in revisions)))  # else it expires

    def held_between(self, conversation_id: int, first: int, last: int) -> bool:
        first = max(first, last - NEWEST_ASKED + 1)
        if first > last:
            return False
        keys = [KEY.format(conversation_id, revision) for revision in range(first, last + 1)]
        return bool(self._ask(lambda: self._redis.exists(*keys)))

    def _pipelined(self, revisions: list[Revision]) -> None:
        with self._redis.pipeline(transaction=False) as pipeline:
            for revision in revisions:
                pipeline.set(KEY.format(*revision), 1, px=self._milliseconds)
            pipeline.execute()

    def _ask(self, call: Callable[[], object]) -> object:
        """`call()`'s answer; None, without asking, while Redis is left alone after a failure."""
        if self._clock() < self._quiet_until:
            return None
        try:
            return call()
        except self._unreachable as error:
            self._quiet_until = self._clock() + QUIET_AFTER_FAILURE
            log.debug("holds in Redis: %s; not asked for %s s", error, QUIET_AFTER_FAILURE)
            return None
