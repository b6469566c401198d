"""The typing throttle: at most one "is typing" per user per conversation every TYPING_EVERY_SECONDS,
on every process (a user's tabs may be on several). Kept in Redis (a key that expires) when
presence is, in the process otherwise. Nothing about typing is ever stored in the database."""
from __future__ import annotations

import threading
import time

from flask import current_app

TYPING_EVERY_SECONDS = 2.0
KEY_PREFIX = "switchboard:typing:"


class LocalThrottle:
    def __init__(self) -> None:
        self._until: dict[tuple[int, int], float] = {}
        self._lock = threading.Lock()

    def allow(self, user_id: int, conversation_id: int) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._until) > 10_000:  # forget the expired ones now and then
                self._until = {key: until for key, until in self._until.items() if until > now}
            if self._until.get((user_id, conversation_id), 0) > now:
                return False
            self._until[(user_id, conversation_id)] = now + TYPING_EVERY_SECONDS
            return True

    def reset(self, user_id: int, conversation_id: int) -> None:
        with self._lock:
            self._until.pop((user_id, conversation_id), None)


class RedisThrottle:
    def __init__(self, redis_client, unavailable) -> None:
        self.redis = redis_client
        self.unavailable = unavailable
        self.fallback = LocalThrottle()

    def allow(self, user_id: int, conversation_id: int) -> bool:
        try:
            return bool(self.redis.set(f"{KEY_PREFIX}{user_id}:{conversation_id}", 1, nx=True,
                                       px=int(TYPING_EVERY_SECONDS * 1000)))
        except self.unavailable:  # Redis away: this process's own throttle
            return self.fallback.allow(user_id, conversation_id)

    def reset(self, user_id: int, conversation_id: int) -> None:
        self.fallback.reset(user_id, conversation_id)
        try:
            self.redis.delete(f"{KEY_PREFIX}{user_id}:{conversation_id}")
        except self.unavailable:
            pass


def typing_throttle() -> LocalThrottle | RedisThrottle:
    """The app's throttle, made at first use beside the presence store (same Redis, if any)."""
    throttle = current_app.extensions.get("typing_throttle")
    if throttle is None:
        store = current_app.extensions["presence"]
        redis_client = getattr(store, "redis", None)
        throttle = (RedisThrottle(redis_client, store._unavailable) if redis_client is not None
                    else LocalThrottle())
        current_app.extensions["typing_throttle"] = throttle
    return throttle
