"""How frames reach every server process: in-process, or over Redis pub/sub as JSON.

The publishing process does not deliver to its own sockets directly when Redis is
configured: it receives its own publications like every other process, so there is one
path and one order (Redis hands each subscriber the messages in the order it accepted them).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

CHANNEL = "switchboard:frames"
Receive = Callable[[list[dict]], None]


class LocalBus:
    """One server process: frames go straight to this process's sockets."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive

    def publish(self, frames: list[dict]) -> None:
        self._receive(frames)

    def start_receiving(self) -> None:
        return None


class RedisBus:
    """Several processes or machines: every process subscribes, every process publishes."""

    def __init__(self, url: str, receive: Receive, start_background_task: Callable,
                 sleep: Callable[[float], None]) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._receive = receive
        self._start_background_task = start_background_task
        self._sleep = sleep
        self._listening = False

    def publish(self, frames: list[dict]) -> None:
        self._redis.publish(CHANNEL, json.dumps(frames, separators=(",", ":")))

    def start_receiving(self) -> None:
        """Subscribe once per process, before the first socket can miss anything."""
        if self._listening:
            return
        self._listening = True
        self._start_background_task(self._listen)

    def _listen(self) -> None:
        while True:
            try:
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(CHANNEL)
                for message in pubsub.listen():
                    if message.get("type") == "message":
                        self._receive(json.loads(message["data"]))
            except Exception:
                # Redis restarted or the network blinked: frames published meanwhile are lost
                # to live delivery; clients fill the gap from `changes` (docs/protocol.md).
                log.exception("lost the Redis subscription; subscribing again")
                self._sleep(1)
