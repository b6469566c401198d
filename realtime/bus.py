"""How frames reach every server process: in-process, or over Redis pub/sub as JSON.

The publishing process does not deliver to its own sockets directly when Redis is
configured: it receives its own publications like every other process, so there is one
path and one order (Redis hands each subscriber the messages in the order it accepted them).

When Redis cannot be reached the bus is **degraded**: a publication that fails is delivered to
this process's own sockets only, and the subscription is tried again every second. Messages are
still stored and acknowledged (the database has them); what other processes' sockets miss, their
clients fetch with `sync` when the bus is back. The bus reports each change of state once
(`on_status("degraded" | "ok")`, and one log line), never once per frame.

Under gevent (`per_turn`) what the process publishes while one greenlet runs leaves as one
publication, sent by one greenlet at a time: a commit's frames of every adapter (Socket.IO's and the
gateway's) together, and, while a publication is on its way, whatever the others publish meanwhile
with the next. Every process wakes once per publication, whoever it is for, so fewer publications
is less work everywhere; the order of the calls is the order of the frames. Only in a process gevent
runs (the web worker, patched by wsgi.py): the job consumer, unpatched, publishes each call at once.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

from ops import metrics

log = logging.getLogger(__name__)

CHANNEL = "switchboard:frames"
RETRY_SECONDS = 1.0
PING_SECONDS = 10.0  # of quiet on the subscription before it is checked with a PING
# How long a process's first sockets wait for its first subscription (Redis answers in milliseconds;
# one that does not answer leaves the bus degraded, and the sockets go on).
SUBSCRIBE_WAIT_SECONDS = 3.0
Receive = Callable[[list[dict]], None]
OnStatus = Callable[[str], None]


class LocalBus:
    """One server process: frames go straight to this process's sockets."""

    state = "ok"

    def __init__(self, receive: Receive) -> None:
        self._receive = receive

    def publish(self, frames: list[dict]) -> None:
        self._receive(frames)

    def start_receiving(self) -> None:
        return None


class RedisBus:
    """Several processes or machines: every process subscribes, every process publishes."""

    def __init__(self, url: str, receive: Receive, start_background_task: Callable,
                 sleep: Callable[[float], None], on_status: OnStatus = lambda state: None,
                 ping_seconds: float = PING_SECONDS, per_turn: bool = False) -> None:
        import redis

        # Every call gives up after a few seconds: a socket's next events wait behind its publication,
        # and a Redis that stops answering without closing its connections must not hold anything.
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self._subscriber = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self._ping_seconds = ping_seconds
        self._unreachable = (redis.RedisError, OSError)
        self._receive = receive
        self._start_background_task = start_background_task
        self._sleep = sleep
        self._on_status = on_status
        self._listening = False
        self._first_subscription = threading.Event()  # set once Redis confirmed it, or the attempt failed
        self._publish_failed = False
        self._subscription_lost = False
        self._probing = False
        self.state = "ok"
        # per_turn (gevent): what is published while the loop runs one greenlet goes out as one
        # publication, from one greenlet at a time, so publications keep the order of the calls.
        self._per_turn = per_turn
        self._outbox: list[dict] = []
        self._sending = False

    def publish(self, frames: list[dict]) -> None:
        if not self._per_turn:
            self._publish_now(frames)
            return
        self._outbox.extend(frames)
        if not self._sending:
            self._sending = True
            self._start_background_task(self._send_outbox)

    def _send_outbox(self) -> None:
        try:
            while self._outbox:
                frames, self._outbox = self._outbox, []
                try:
                    self._publish_now(frames)
                except Exception:  # frames that cannot be published (not Redis's fault): the next ones can
                    log.exception("could not publish %d frames", len(frames))
        finally:
            self._sending = False

    def _publish_now(self, frames: list[dict]) -> None:
        try:
            self._redis.publish(CHANNEL, json.dumps(frames, separators=(",", ":")))
        except self._unreachable as error:
            # Committed already: this process's sockets get it now, the others' clients by resync.
            metrics.bus_publish_failed()
            self._publish_failed = True
            self._update(error)
            self._receive(frames)

    def start_receiving(self) -> None:
        """Subscribe once per process, and return once Redis has confirmed it: whatever is published
        after a socket's connect (which calls this) reaches that socket, and what was committed before
        it is in the socket's `sync`. A SUBSCRIBE sent is not yet a subscription: until Redis has
        processed it, other processes' publications pass this one by (waited for up to
        SUBSCRIBE_WAIT_SECONDS, the first time; afterwards this returns at once)."""
        if not self._listening:
            self._listening = True
            self._start_background_task(self._listen)
        self._first_subscription.wait(SUBSCRIBE_WAIT_SECONDS)

    def _listen(self) -> None:
        while True:
            try:
                pubsub = self._subscriber.pubsub()
                pubsub.subscribe(CHANNEL)
                if self._subscription_lost:
                    metrics.bus_resubscribed()
                    self._subscription_lost = False
                    self._publish_failed = False  # Redis answers again
                    self._update()
                self._read(pubsub)
            except self._unreachable as error:
                # Redis restarted or the network blinked: frames published meanwhile are lost
                # to live delivery; clients fill the gap with `sync` (docs/protocol.md).
                self._subscription_lost = True
                self._first_subscription.set()  # the sockets waiting go on; their clients resync later
                self._update(error)
            self._sleep(RETRY_SECONDS)

    def _read(self, pubsub) -> None:
        """Deliver what arrives until the connection fails. After `ping_seconds` of quiet a PING goes
        out; a connection that answers nothing for twice that long is dead, even if it never closed."""
        heard = time.monotonic()
        while True:
            message = pubsub.get_message(timeout=self._ping_seconds / 2)
            quiet = time.monotonic() - heard
            if message is not None:
                heard = time.monotonic()
                if message.get("type") == "message":
                    self._deliver(message["data"])
                elif message.get("type") == "subscribe":
                    self._first_subscription.set()
            elif quiet > 2 * self._ping_seconds:
                pubsub.close()
                raise TimeoutError(f"no answer from Redis for {quiet:.0f} s")
            elif quiet > self._ping_seconds:
                pubsub.ping()

    def _deliver(self, data: bytes) -> None:
        try:
            self._receive(json.loads(data))
        except Exception:  # one bad frame must not cost the subscription
            log.exception("could not deliver frames received from Redis")

    def _update(self, error: BaseException | None = None) -> None:
        state = "degraded" if self._publish_failed or self._subscription_lost else "ok"
        if state == self.state:
            return
        self.state = state
        if state == "degraded":
            log.warning("message bus: Redis unreachable (%s), live delivery degraded until it is back; messages "
                        "are still stored and acknowledged", error or "no answer")
            if not self._probing:
                self._probing = True
                self._start_background_task(self._probe)
        else:
            log.warning("message bus: Redis reachable again, live delivery resumed")
        self._on_status(state)

    def _probe(self) -> None:
        """While degraded by a failed publication only, find out when Redis answers again."""
        try:
            while self.state == "degraded":
                self._sleep(RETRY_SECONDS)
                if self._publish_failed:
                    try:
                        self._redis.ping()
                    except self._unreachable:
                        continue
                    self._publish_failed = False
                    self._update()
        finally:
            self._probing = False
