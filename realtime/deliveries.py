"""The two ends of the one bus (realtime.bus) that every adapter shares.

Publishing: a `BusAdapter` (realtime.socketio_adapter, gateway.adapter) renders each fact
into frames while the transaction is open and publishes them once it has committed.

Receiving: this process's deliveries, one per transport.

Every adapter publishes its frames on the same bus, and every process receives them all: a
frame goes to the delivery its `"to"` names (`"gateway"`: gateway.delivery), a frame without
one to the default delivery (Socket.IO's, realtime.socketio_adapter.SocketDelivery). Each
delivery gets its frames in the order they were published, and one delivery failing does not
keep frames from another. The server's background tasks and sleep travel with it, for whoever
feeds it from elsewhere (jobs.relay); each delivery hears when the bus loses Redis and gets it back.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from flask import Flask

from events.facts import Fact
from extensions import db
from models import Message

log = logging.getLogger(__name__)

Receive = Callable[[list[dict]], None]


class BusAdapter:
    """An adapter (events.dispatch) whose frames travel on the bus: `_render` turns one fact into
    frames, inside the committing transaction; they are published once it has committed."""

    def __init__(self, bus) -> None:
        self.bus = bus

    def prepare(self, facts: Sequence[Fact]) -> list[dict]:
        frames: list[dict] = []
        for fact in facts:
            frames.extend(self._render(fact))
        return frames

    def deliver(self, frames: list[dict]) -> None:
        if frames:
            self.bus.publish(frames)

    def _render(self, fact: Fact) -> list[dict]:  # pragma: no cover - each adapter renders its own
        raise NotImplementedError


def read_revisions(app: Flask, conversation_id: int, first: int, last: int,
                   render: Callable[[Message, bool], dict]) -> list[tuple[int, dict]]:
    """For realtime.ordering's gap filling: the rows still at revisions first..last, each rendered
    by `render(message, changed)` (a row changed since is sent by its later revision)."""
    with app.app_context():
        messages = db.session.execute(
            db.select(Message).where(Message.conversation_id == conversation_id,
                                     Message.revision.between(first, last)).order_by(Message.revision)
        ).scalars()
        frames = []
        for message in messages:
            changed = bool(message.edited_at or message.deleted_at or message.hidden_at)
            frames.append((message.revision, render(message, changed)))
        db.session.rollback()
        return frames


class Deliveries:
    def __init__(self, default: Receive, start_background_task: Callable, sleep: Callable[[float], None]) -> None:
        self._default = default
        self._named: dict[str, Receive] = {}
        self._status_listeners: list[Callable[[str], None]] = []
        self.start_background_task = start_background_task
        self.sleep = sleep

    def add(self, name: str, receive: Receive) -> None:
        self._named[name] = receive

    def on_status(self, listener: Callable[[str], None]) -> None:
        """`listener(state)` hears each change of the bus's state ("degraded" | "ok", realtime.bus)."""
        self._status_listeners.append(listener)

    def bus_status_changed(self, state: str) -> None:
        for listener in self._status_listeners:
            try:
                listener(state)
            except Exception:
                log.exception("a delivery could not be told the bus is %s", state)

    def receive(self, frames: list[dict]) -> None:
        batches: dict[str | None, list[dict]] = {}
        for frame in frames:
            batches.setdefault(frame.get("to"), []).append(frame)
        for name, batch in batches.items():
            receive = self._default if name is None else self._named.get(name)
            if receive is None:  # a transport this process does not serve
                continue
            try:
                receive(batch)
            except Exception:
                log.exception("the %s delivery failed", name or "default")
