"""Rate limits: how many times something may happen per key (an account, a client address, an
uploader) in a sliding window of time. Refused with 429 `rate_limited` and a Retry-After.

The window slides as Cloudflare's rate limiting does, from two fixed windows: what the
previous one counted, weighted by how much of it the sliding window still covers, plus what the
current one has counted. So a limit of N an hour lets N through at once at most, then about N an
hour (one every 3600/N s), however the attempts fall on the clock's hours, where fixed windows let
2N through within seconds across an hour's end (N in its last seconds, N again in the next one's
first). A refused attempt is given back: it does not count.

The counters live in the process, or in Redis when RATE_LIMIT_REDIS_URL is set (several
processes or machines then share them). An attempt is counted *before* the work it guards, so
a hundred concurrent attempts cannot all slip in before the first is counted; work that turns
out not to count (a successful login) gives its place back with `Attempt.refund()`.

Small on purpose: Flask-Limiter counts after the response (its `deduct_when`), which concurrent
guesses would slip past, and its in-memory storage expires keys from a timer thread.
"""
from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

from actions.errors import ActionError

log = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 60
BUCKETS_BEFORE_PRUNING = 10_000


class RateLimited(ActionError):
    status = 429

    def __init__(self, message: str, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__("rate_limited", f"{message} Try again in {self.retry_after} s.")

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}

    def as_dict(self) -> dict:
        # A socket ack has no headers: the seconds to wait travel in the error itself too.
        return {**super().as_dict(), "retry_after": self.retry_after}


@dataclass(frozen=True)
class Counted:
    """What a key's counters held once an attempt was counted: the current fixed window's count (the
    attempt included), the previous window's, and how far into the current window it is."""

    current: int
    previous: int
    elapsed: float
    window: int

    def estimate(self) -> float:
        """The attempts in the sliding window that ends now: the previous window's, weighted by the share
        of it the sliding window still covers, and the current one's."""
        return self.previous * (self.window - self.elapsed) / self.window + self.current

    def wait(self, limit: int) -> float:
        """0 if the attempt is within `limit`; else the seconds until one more would be, with this one
        given back and no other attempt meanwhile."""
        if self.estimate() <= limit:
            return 0.0
        others, left = self.current - 1, self.window - self.elapsed
        if others < limit:  # once enough of the previous window has slid out of it
            return max(0.0, left - (limit - others - 1) * self.window / self.previous)
        # in the next window, once enough of this one has slid out of it
        return left + self.window * (1 - (limit - 1) / others)


class MemoryCounters:
    """Counters of one process: {key: [window number, count in it, count in the one before]}, pruned
    of keys not counted in the last two windows now and then."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._counts: dict[tuple[str, int], list[int]] = {}
        self._lock = threading.Lock()
        self._pruned_at = clock()
        self._buckets: dict[str, float] = {}  # {key: when its bucket is full again} (take)

    def hit(self, key: str, window: int) -> Counted:
        """Count one more attempt of `key` in windows of `window` seconds."""
        now = self._clock()
        number = int(now // window)
        with self._lock:
            if now - self._pruned_at > PRUNE_EVERY_SECONDS:
                self._counts = {name: entry for name, entry in self._counts.items()
                                if entry[0] >= int(now // name[1]) - 1}
                self._pruned_at = now
            entry = self._counts.get((key, window))
            if entry is None or entry[0] < number - 1:
                entry = self._counts[key, window] = [number, 0, 0]
            elif entry[0] == number - 1:
                entry[:] = [number, 0, entry[1]]
            entry[1] += 1
            return Counted(entry[1], entry[2], now - number * window, window)

    def undo(self, key: str, window: int) -> None:
        now = self._clock()
        with self._lock:
            entry = self._counts.get((key, window))
            if entry is not None and entry[0] == int(now // window) and entry[1] > 0:
                entry[1] -= 1


    def take(self, key: str, interval: float, tolerance: float) -> float:
        """One token of `key`'s bucket (GCRA: one every `interval` s, `tolerance` s of them ahead
        at most); 0 if taken, else the seconds until one will be there."""
        now = self._clock()
        with self._lock:
            ready_at = max(self._buckets.get(key, now), now)
            wait = ready_at - tolerance - now
            if wait > 0:
                return wait
            self._buckets[key] = ready_at + interval
            if len(self._buckets) > BUCKETS_BEFORE_PRUNING:
                self._buckets = {name: at for name, at in self._buckets.items() if at > now}
            return 0.0


class RedisCounters:
    """The same in Redis: one key per fixed window (INCR, EXPIRE; kept through the next window, which
    reads it as its previous one), shared by every process."""

    def __init__(self, url: str, clock: Callable[[], float] = time.time) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2)
        self._clock = clock
        # Only a key still there: DECR would make an expired window's key anew, without expiry.
        self._decrement = self._redis.register_script(
            "if redis.call('exists', KEYS[1]) == 1 then return redis.call('decr', KEYS[1]) end return 0")

        # GCRA in one round trip: the bucket is the time it is full again, kept as long as it matters.
        self._take = self._redis.register_script("""
            local now, interval, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
            local ready_at = math.max(tonumber(redis.call('get', KEYS[1]) or '0'), now)
            local wait = ready_at - tolerance - now
            if wait > 0 then return tostring(wait) end
            redis.call('set', KEYS[1], tostring(ready_at + interval), 'PX',
                       math.ceil((ready_at + interval - now) * 1000) + 1000)
            return '0'""")

    def take(self, key: str, interval: float, tolerance: float) -> float:
        return float(self._take(keys=[f"switchboard:bucket:{key}"], args=[repr(self._clock()), interval, tolerance]))

    @staticmethod
    def _key(key: str, window: int, now: float) -> str:
        return f"switchboard:limit:{key}:{int(now // window)}"

    def hit(self, key: str, window: int) -> Counted:
        now = self._clock()
        pipeline = self._redis.pipeline()
        pipeline.incr(self._key(key, window, now))
        pipeline.expire(self._key(key, window, now), 2 * window + 1)
        pipeline.get(self._key(key, window, now - window))
        count, _, previous = pipeline.execute()
        return Counted(int(count), int(previous or 0), now % window, window)

    def undo(self, key: str, window: int) -> None:
        self._decrement(keys=[self._key(key, window, self._clock())])


def counters() -> MemoryCounters | RedisCounters:
    """The app's counters, made on first use."""
    found = current_app.extensions.get("rate_limits")
    if found is None:
        url = current_app.config["RATE_LIMIT_REDIS_URL"]
        found = current_app.extensions["rate_limits"] = RedisCounters(url) if url else MemoryCounters()
    return found


@dataclass
class Attempt:
    """What one attempt counted, to give back if it turns out not to count."""

    keys: list[str]
    window: int

    def refund(self) -> None:
        store = counters()
        for key in self.keys:
            try:
                store.undo(key, self.window)
            except Exception as error:  # noqa: BLE001  (Redis away: the attempt stays counted, which is safe)
                _counters_failed(error)


def count_attempt(keys: list[str], limit: int, window: int, message: str) -> Attempt:
    """Count one attempt against each key; RateLimited if any key is past `limit` in the sliding window
    of `window` seconds (and then the attempt counts for none of them). A limit of 0 counts nothing.
    If Redis cannot be reached the attempt is let through (logged)."""
    if limit <= 0:
        return Attempt([], window)
    store = counters()
    counted, wait = [], 0.0
    for key in keys:
        try:
            seen = store.hit(key, window)
        except Exception as error:  # noqa: BLE001  (availability first: a limit never locks everyone out)
            _counters_failed(error)
            continue
        _counters_answered()
        counted.append(key)
        wait = max(wait, seen.wait(limit))
    attempt = Attempt(counted, window)
    if wait:
        attempt.refund()
        raise RateLimited(message, wait)
    return attempt


def limit_message_send(sender_id: int) -> None:
    """A message (or a reaction) sent by the user `sender_id`, over a socket, REST or the gateway:
    SEND_BURST at once, then SEND_PER_MINUTE a minute. Nothing else is read or written: one dict (or
    one Redis call). A send asks it through actions.messages.admit_message_send (retries of stored messages)."""
    config = current_app.config
    per_minute, burst = config["SEND_PER_MINUTE"], config["SEND_BURST"]
    if per_minute <= 0:
        return
    interval = 60 / per_minute
    try:
        wait = counters().take(f"send:user:{sender_id}", interval, interval * (max(burst, 1) - 1))
    except Exception as error:  # noqa: BLE001  (availability first, as count_attempt)
        _counters_failed(error)
        return
    _counters_answered()
    if wait:
        raise RateLimited("You are sending messages too fast.", wait)


_counters_down = threading.Event()  # set while Redis does not answer: said once, not at every attempt


@dataclass
class RefusedConnection:
    """The `rate_limited` refusals one connection (a Socket.IO socket, a gateway connection) got within a
    minute. At the SOCKET_BUSY_DISCONNECT-th the transport closes it (protocol.md, Send rate): refusals are
    cheap, so a flooder would otherwise keep the loop busy with them for as long as it likes (also one whose
    sends the allowance lets through now and then: the count is per minute, not in a row)."""
    started: float = 0.0
    refusals: int = 0

    def refused(self) -> bool:
        """Count one refusal; whether this one is the connection's last (0: never)."""
        now = time.monotonic()
        if self.refusals == 0 or now - self.started >= 60:
            self.started, self.refusals = now, 0
        self.refusals += 1
        return self.refusals == current_app.config["SOCKET_BUSY_DISCONNECT"]


def _counters_failed(error: Exception) -> None:
    """Redis away: attempts go through uncounted. Logged when it starts, not at every message."""
    if not _counters_down.is_set():
        _counters_down.set()
        log.warning("rate limit counters unavailable (%s: %s): attempts are let through uncounted until they "
                    "answer again", type(error).__name__, error)


def _counters_answered() -> None:
    if _counters_down.is_set():
        _counters_down.clear()
        log.warning("rate limit counters reachable again")


def _address_keys(name: str, address: str | None) -> list[str]:
    return [f"{name}:address:{address}"] if address else []


def limit_registration(address: str | None) -> Attempt:
    """An account created from this client address: REGISTRATIONS_PER_HOUR per address."""
    return count_attempt(_address_keys("register", address), current_app.config["REGISTRATIONS_PER_HOUR"], 3600,
                         "Too many accounts created from this address.")


def limit_code_attempt(key: str) -> Attempt:
    """A verification code tried for `key` (an account, an address, a pending registration):
    CODE_ATTEMPTS_PER_HOUR per key. A right code may `refund()` its place."""
    return count_attempt(["code:attempt:" + hashed(key)], current_app.config["CODE_ATTEMPTS_PER_HOUR"], 3600,
                         "Too many codes tried.")


def limit_code_resend(key: str) -> Attempt:
    """A code (re)sent to `key` (an address, a phone number, an account): CODE_RESENDS_PER_HOUR per key."""
    return count_attempt(["code:resend:" + hashed(key)], current_app.config["CODE_RESENDS_PER_HOUR"], 3600,
                         "Too many codes sent.")


def limit_password_reset(address: str | None) -> Attempt:
    """A password reset asked from `address`: PASSWORD_RESETS_PER_HOUR per client address. Not per
    account: anyone may ask for anyone's reset, so a count per account would let a stranger keep its
    owner from asking (the account's resend wait bounds the codes mailed, actions.codes)."""
    return count_attempt(_address_keys("reset", address), current_app.config["PASSWORD_RESETS_PER_HOUR"], 3600,
                         "Too many password resets.")


def limit_token_creation(user) -> Attempt:
    """An API token created by `user` (a User or its id): TOKENS_PER_HOUR per user."""
    user_id = getattr(user, "id", user)
    return count_attempt([f"tokens:user:{user_id}"], current_app.config["TOKENS_PER_HOUR"], 3600,
                         "Too many tokens created.")


def limit_contact_request(user) -> Attempt:
    """A contact request sent by `user` (a User), found or not: CONTACT_REQUESTS_PER_HOUR per user."""
    return count_attempt([f"contacts:user:{user.id}"], current_app.config["CONTACT_REQUESTS_PER_HOUR"], 3600,
                         "Too many contact requests.")


def limit_qr_request(address: str | None) -> Attempt:
    """A QR login token asked from this client address: QR_REQUESTS_PER_MINUTE per address."""
    return count_attempt(_address_keys("qr", address), current_app.config["QR_REQUESTS_PER_MINUTE"], 60,
                         "Too many QR codes asked for.")


def limit_search(user_id: int) -> Attempt:
    """A chat search by `user_id` (REST or socket), found or not: SEARCHES_PER_MINUTE per user. A search
    reads the full-text index over every conversation's messages before it keeps the user's
    (actions.search), so what one account costs the others is bounded by their number."""
    return count_attempt([f"search:user:{user_id}"], current_app.config["SEARCHES_PER_MINUTE"], 60,
                         "Too many searches.")


def hashed(value: str) -> str:
    """A short fixed-size key for any text (a username may be long)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
