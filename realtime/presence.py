"""Who is online: the live sockets of each user.

One process: `LocalPresence` (in memory). Several processes or machines: `RedisPresence`,
where each process keeps its sockets in its own Redis hash that expires unless the
process refreshes it, so a crashed process's sockets vanish within a minute. The process
also keeps its sockets in memory and writes the whole hash again at every heartbeat, so
presence is right again within HEARTBEAT_SECONDS of Redis coming back after an outage or
a restart that lost its data; while Redis is unreachable, connects and disconnects go on
without it (a failure here would leave a socket unanswered, or in its rooms after it left).
Use the `presence` proxy; `init_presence(app)` picks the store.
"""
from __future__ import annotations

import logging
import threading
import uuid
from collections import defaultdict

from flask import Flask, current_app
from werkzeug.local import LocalProxy

from realtime.presence_tracker import PresenceTracker, TrackedPresence

log = logging.getLogger(__name__)


class LocalPresence:
    def __init__(self) -> None:
        self._sockets: dict[int, set[str]] = defaultdict(set)
        self._lock = threading.Lock()

    def connected(self, user_id: int, sid: str) -> None:
        with self._lock:
            self._sockets[user_id].add(sid)

    def disconnected(self, user_id: int, sid: str) -> None:
        with self._lock:
            sockets = self._sockets.get(user_id)
            if sockets is not None:
                sockets.discard(sid)
                if not sockets:
                    del self._sockets[user_id]

    def online_user_ids(self) -> set[int]:
        with self._lock:
            return set(self._sockets)

    def is_online(self, user_id: int) -> bool:
        with self._lock:
            return user_id in self._sockets

    def socket_count(self) -> int:
        with self._lock:
            return sum(len(sockets) for sockets in self._sockets.values())


class RedisPresence:
    KEY_PREFIX = "switchboard:presence:process:"
    TTL_SECONDS = 60
    HEARTBEAT_SECONDS = 20

    def __init__(self, url: str, start_background_task, sleep) -> None:
        import redis

        # Bounded waits: connects and disconnects call it, and must not hang on a Redis that does not answer.
        self.redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._unavailable = redis.RedisError
        self._down = False  # Redis did not answer the last call: said once per outage, not per socket
        self.process_key = self.KEY_PREFIX + uuid.uuid4().hex
        self._start_background_task = start_background_task
        self._sleep = sleep
        self._heartbeat_started = False
        self._sockets: dict[str, int] = {}  # this process's sockets: sid -> user id

    def connected(self, user_id: int, sid: str) -> None:
        self._sockets[sid] = user_id
        try:
            pipeline = self.redis.pipeline()
            pipeline.hset(self.process_key, sid, user_id)
            pipeline.expire(self.process_key, self.TTL_SECONDS)
            pipeline.execute()
            self._answered()
        except self._unavailable as error:
            self._failed(error)  # the socket is written at the next heartbeat
        if not self._heartbeat_started:
            self._heartbeat_started = True
            self._start_background_task(self._heartbeat)

    def disconnected(self, user_id: int, sid: str) -> None:
        self._sockets.pop(sid, None)
        try:
            self.redis.hdel(self.process_key, sid)
            self._answered()
        except self._unavailable as error:
            self._failed(error)  # the socket is left out at the next heartbeat

    def _failed(self, error: Exception) -> None:
        if not self._down:
            self._down = True
            log.warning("presence: Redis unavailable (%s); this process's sockets are written again at each "
                        "heartbeat until it answers", error)

    def _answered(self) -> None:
        if self._down:
            self._down = False
            log.warning("presence: Redis reachable again")

    def refresh(self) -> None:
        """Write this process's sockets again, whole, and push its expiry back."""
        pipeline = self.redis.pipeline(transaction=True)
        pipeline.delete(self.process_key)
        if self._sockets:
            pipeline.hset(self.process_key, mapping=dict(self._sockets))
            pipeline.expire(self.process_key, self.TTL_SECONDS)
        pipeline.execute()

    def online_user_ids(self) -> set[int]:
        return {int(user_id) for key in self._process_keys() for user_id in self.redis.hvals(key)}

    def is_online(self, user_id: int) -> bool:
        """Any socket of the user, on any process (this one's first: no Redis call if so)."""
        if user_id in self._sockets.values():
            return True
        try:
            return user_id in self.online_user_ids()
        except self._unavailable:  # Redis down: what this process knows
            return False

    def socket_count(self) -> int:
        return sum(self.redis.hlen(key) for key in self._process_keys())

    def _process_keys(self) -> list[bytes]:
        return list(self.redis.scan_iter(match=self.KEY_PREFIX + "*", count=200))

    def _heartbeat(self) -> None:
        while True:
            self._sleep(self.HEARTBEAT_SECONDS)
            try:
                self.refresh()
                self._answered()
            except self._unavailable as error:  # keep beating: Redis may be back next time
                self._failed(error)


def init_presence(app: Flask, start_background_task, sleep) -> None:
    """Pick the store; the server's own background tasks (greenlets under gevent) keep it alive."""
    url = app.config.get("PRESENCE_REDIS_URL") or ""  # by default the message queue's, if it is Redis (config.py)
    store = RedisPresence(url, start_background_task, sleep) if url else LocalPresence()
    if url:  # a killed process's connections vanish this long after its last heartbeat
        store.TTL_SECONDS = int(app.config["PRESENCE_EXPIRY_SECONDS"])
        store.HEARTBEAT_SECONDS = store.TTL_SECONDS / 3
    app.extensions["presence"] = TrackedPresence(store, PresenceTracker(app, store, start_background_task, sleep))


presence: LocalPresence | RedisPresence = LocalProxy(lambda: current_app.extensions["presence"])
