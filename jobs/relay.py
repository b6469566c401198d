"""Events of jobs, carried from the job consumer to the web process's sockets without Redis.

With a Redis bus (SOCKETIO_MESSAGE_QUEUE) every process publishes to every other one, the
consumer included. Without one, the web process delivers its own frames in process
(realtime.bus.LocalBus), and the consumer, which holds no sockets, would deliver its frames
(a broadcast's notices, a deleted group, a thumbnail made) to nobody. So there the consumer
publishes them into a queue of the job storage (the same SQLite file or Redis, under its own
name), and the web process, once it has sockets, takes them out and delivers them like its
own. Frames older than MAX_AGE_SECONDS are dropped: whoever was online then has reconnected
and caught up since (clients resync from `changes`, docs/protocol.md).
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from huey.storage import BaseStorage, RedisStorage, SqliteStorage

log = logging.getLogger(__name__)

RELAY_NAME = "switchboard-frames"
MAX_AGE_SECONDS = 60
# The web process looks this often: a few more tenths of a second for a job's events, and
# its event loop is left alone (polling ten times a second measurably delayed other frames).
POLL_SECONDS = 0.5


class FramesRelay:
    def __init__(self, storage: BaseStorage) -> None:
        self.storage = storage
        self._receiving = False
        self._stopped = False

    def publish(self, frames: list[dict]) -> None:
        """The consumer's side: what the web process must deliver."""
        if frames:
            self.storage.enqueue(json.dumps({"at": time.time(), "frames": frames}).encode())

    def start_receiving(self, delivery) -> None:
        """The web process's side, once: hand every frame the consumer publishes to `delivery`
        (realtime.deliveries.Deliveries: Socket.IO's and the gateway's), from one of the server's background tasks."""
        if self._receiving:
            return
        self._receiving = True
        delivery.start_background_task(self._receive_forever, delivery)

    def stop_receiving(self) -> None:
        """No more taking frames, from the next look on (within POLL_SECONDS), and the storage's connection
        closed: for an app done with in a process that goes on (a test's), whose receiving task would
        otherwise look every POLL_SECONDS for as long as the process runs."""
        self._stopped = True
        self.storage.close()

    def _receive_forever(self, delivery) -> None:
        while not self._stopped:
            try:
                self.receive_waiting(delivery.receive)
            except Exception:
                log.exception("could not read the job consumer's events; trying again")
                delivery.sleep(1)
            if not self.storage.blocking:
                delivery.sleep(POLL_SECONDS)
        self.storage.close()

    def receive_waiting(self, deliver: Callable[[list[dict]], None]) -> int:
        """Deliver what waits now; returns how many batches were taken."""
        taken = 0
        while (data := self.storage.dequeue()) is not None:
            taken += 1
            envelope = json.loads(data)
            if time.time() - envelope["at"] <= MAX_AGE_SECONDS:
                deliver(envelope["frames"])
        return taken


class RelayedBus:
    """The web process's bus: its own bus, and on the first socket also the consumer's frames."""

    def __init__(self, bus, relay: FramesRelay, delivery) -> None:
        self.bus, self.relay, self.delivery = bus, relay, delivery

    def publish(self, frames: list[dict]) -> None:
        self.bus.publish(frames)

    def start_receiving(self) -> None:
        self.bus.start_receiving()
        self.relay.start_receiving(self.delivery)


def build_relay(config: dict) -> FramesRelay:
    if config["JOBS_REDIS_URL"]:
        return FramesRelay(RedisStorage(RELAY_NAME, url=config["JOBS_REDIS_URL"], read_timeout=1))
    path = Path(config["JOBS_SQLITE_PATH"])
    return FramesRelay(SqliteStorage(RELAY_NAME, filename=str(path)))


def init_relay(app: Flask) -> FramesRelay | None:
    """Web side: without a Redis bus, sockets also receive what the consumer publishes."""
    if app.config["SOCKETIO_MESSAGE_QUEUE"]:
        return None
    relay = build_relay(app.config)
    app.extensions["jobs_relay"] = relay
    app.extensions["realtime_bus"] = RelayedBus(app.extensions["realtime_bus"], relay,
                                                app.extensions["realtime_deliveries"])
    return relay


def publish_through_relay(app: Flask) -> None:
    """Consumer side (`flask jobs-worker`): events of jobs go to the web process's relay."""
    from realtime.deliveries import BusAdapter

    relay = app.extensions.get("jobs_relay")
    if relay is None:
        return  # a Redis bus reaches every process already
    for adapter in app.extensions["events"].adapters:
        if isinstance(adapter, BusAdapter):  # Socket.IO's and the gateway's
            adapter.bus = relay
