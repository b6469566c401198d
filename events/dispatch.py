"""The dispatcher: hands committed facts to every transport adapter.

An adapter has two methods: `prepare(facts)`, called just before the COMMIT with the
transaction still open (render frames, resolve recipients: reads only), and
`deliver(prepared)`, called once the transaction has committed and the transport that ran
it has answered. Socket.IO is one adapter (realtime.socketio_adapter), the bzGhost gateway
another (gateway.adapter), metrics a third (ops.metrics, which counts facts); Web Push will be
one too, registered the same way.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from events.facts import Fact
from events.unreleased import UnreleasedRevisions

log = logging.getLogger(__name__)


class Adapter(Protocol):
    def prepare(self, facts: Sequence[Fact]) -> object: ...

    def deliver(self, prepared: object) -> None: ...


class Dispatcher:
    def __init__(self) -> None:
        self.adapters: list[Adapter] = []
        self.unreleased = UnreleasedRevisions()  # this process's committed revisions not delivered yet

    def register(self, adapter: Adapter) -> None:
        self.adapters.append(adapter)

    def prepare(self, facts: Sequence[Fact]) -> list[tuple[Adapter, object]]:
        return [(adapter, adapter.prepare(facts)) for adapter in self.adapters]

    def deliver(self, prepared: list[tuple[Adapter, object]]) -> None:
        # The change is committed: one adapter failing must not keep it from the others.
        for adapter, frames in prepared:
            try:
                adapter.deliver(frames)
            except Exception:
                log.exception("event adapter %s failed to deliver", type(adapter).__name__)
