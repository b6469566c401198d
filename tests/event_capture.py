"""Capturing the domain events an action publishes, synchronously (like Zulip's
`capture_send_event_calls`): "no event was sent" is asserted exactly, not by waiting."""
from __future__ import annotations

from collections.abc import Sequence

from events.facts import Fact


class CapturedEvents(list):
    """An adapter that records the facts it is handed after each commit, in order."""

    def prepare(self, facts: Sequence[Fact]) -> list[Fact]:
        return list(facts)

    def deliver(self, facts: list[Fact]) -> None:
        self.extend(facts)


def capture(app) -> CapturedEvents:
    captured = CapturedEvents()
    app.extensions["events"].register(captured)
    return captured
