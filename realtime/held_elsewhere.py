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
gap is read from the database as before: nothing waits on a Redis that does not answer.
"""
from __future__ import annotations

import logging

from events.unreleased import HELD_AT_MOST, Revision

log = logging.getLogger(__name__)

KEY = "switchboard:held:{}:{}"
NEWEST_ASKED = 64  # of a long range, the revisions asked for: those held now are the conversation's newest


class RedisHolds:
    def __init__(self, url: str, held_at_most: float = HELD_AT_MOST) -> None:
        import redis

        # Asked before a COMMIT, with the conversation's row locked: a Redis that stops answering
        # costs two seconds at most, then the change goes on without its hold.
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._unreachable = (redis.RedisError, OSError)
        self._milliseconds = max(1, round(held_at_most * 1000))

    def hold(self, revisions: list[Revision]) -> None:
        try:
            if len(revisions) == 1:
                self._redis.set(KEY.format(*revisions[0]), 1, px=self._milliseconds)
                return
            with self._redis.pipeline(transaction=False) as pipeline:
                for revision in revisions:
                    pipeline.set(KEY.format(*revision), 1, px=self._milliseconds)
                pipeline.execute()
        except self._unreachable as error:
            log.debug("could not hold %s in Redis: %s", revisions, error)

    def let_go(self, revisions: list[Revision]) -> None:
        try:
            self._redis.delete(*(KEY.format(*revision) for revision in revisions))
        except self._unreachable as error:  # it expires by itself
            log.debug("could not let go of %s in Redis: %s", revisions, error)

    def held_between(self, conversation_id: int, first: int, last: int) -> bool:
        first = max(first, last - NEWEST_ASKED + 1)
        if first > last:
            return False
        try:
            return self._redis.exists(*(KEY.format(conversation_id, revision)
                                        for revision in range(first, last + 1))) > 0
        except self._unreachable as error:
            log.debug("could not ask Redis for holds of conversation %s: %s", conversation_id, error)
            return False
