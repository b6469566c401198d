"""The typing throttle: at most one "is typing" per user per conversation every TYPING_EVERY_SECONDS,
and one "stopped" per "is typing" told (a "stopped" after nothing shown, or told already, tells nobody:
alternating the two cannot make a frame for every member at every round trip), on every process (a
user's tabs may be on several). Kept in Redis (keys that expire) when presence is, in the process
otherwise. Nothing about typing is ever stored in the database."""
from __future__ import annotations

import threading
import time

from flask import current_app

TYPING_EVERY_SECONDS = 2.0
TYPING_SHOWN_SECONDS = 5.0  # how long members show "is typing" unless renewed (docs/protocol.md)
KEY_PREFIX = "switchboard:typing:"
SHOWN_PREFIX = "switchboard:typing-shown:"


class LocalThrottle:
    def __init__(self) -> None:
        self._until: dict[tuple[int, int], float] = {}  # no "is typing" told before then
        self._shown: dict[tuple[int, int], float] = {}  # members show "is typing" until then
        self._lock = threading.Lock()

    def allow(self, user_id: int, conversation_id: int) -> bool:
        """Whether an "is typing" is to be told now (then members show it)."""
        now, key = time.monotonic(), (user_id, conversation_id)
        with self._lock:
            if len(self._until) > 10_000:  # forget the expired ones now and then
                self._until = {pair: until for pair, until in self._until.items() if until > now}
                self._shown = {pair: until for pair, until in self._shown.items() if until > now}
            if self._until.get(key, 0) > now:
                return False
            self._until[key], self._shown[key] = now + TYPING_EVERY_SECONDS, now + TYPING_SHOWN_SECONDS
            return True

    def stopped(self, user_id: int, conversation_id: int) -> bool:
        """Whether a "stopped" is to be told now: members show the user typing (no longer, then)."""
        with self._lock:
            return self._shown.pop((user_id, conversation_id), 0) > time.monotonic()

    def reset(self, user_id: int, conversation_id: int) -> None:
        """A message from the user ends both: its arrival clears the members' "is typing"."""
        with self._lock:
            self._until.pop((user_id, conversation_id), None)
            self._shown.pop((user_id, conversation_id), None)


class RedisThrottle:
    def __init__(self, redis_client, unavailable) -> None:
        self.redis = redis_client
        self.unavailable = unavailable
        self.fallback = LocalThrottle()

    def allow(self, user_id: int, conversation_id: int) -> bool:
        try:
            if not self.redis.set(f"{KEY_PREFIX}{user_id}:{conversation_id}", 1, nx=True,
                                  px=int(TYPING_EVERY_SECONDS * 1000)):
                return False
            self.redis.set(f"{SHOWN_PREFIX}{user_id}:{conversation_id}", 1, px=int(TYPING_SHOWN_SECONDS * 1000))
            return True
        except self.unavailable:  # Redis away: this process's own throttle
            return self.fallback.allow(user_id, conversation_id)

    def stopped(self, user_id: int, conversation_id: int) -> bool:
        try:
            return bool(self.redis.delete(f"{SHOWN_PREFIX}{user_id}:{conversation_id}"))
        except self.unavailable:
            return self.fallback.stopped(user_id, conversation_id)

    def reset(self, user_id: int, conversation_id: int) -> None:
        self.fallback.reset(user_id, conversation_id)
        try:
            self.redis.delete(f"{KEY_PREFIX}{user_id}:{conversation_id}", f"{SHOWN_PREFIX}{user_id}:{conversation_id}")
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
