"""Holds told over the bus: with several processes, each one's reorder buffers also wait for the
revisions another process holds until its author's answer is written (events.unreleased).

A process on its own (realtime.bus.LocalBus) needs none of this: its buffers see its holds.
Over Redis, the process that commits a revision for a transport publishes, before its COMMIT,
`{"to": "holds", "held": [[conversation, revision], ...], "by": <process>}`, and Redis has
taken it when `publish` returns. A later revision of the conversation commits after that
COMMIT (the conversation's row is locked from a revision's allocation to its commit), so its
frames reach every process after the notice: Redis hands its subscribers messages in the
order it took them. Each other process notes the hold and lets go of it when a frame of that
revision arrives (`Deliveries.receive`), which its holder publishes only once the answer is
written; a hold whose frames never come (the holder died, the COMMIT failed) is forgotten
after events.unreleased.HELD_AT_MOST. Cost: one publication per held change of messages.
"""
from __future__ import annotations

import uuid

from events.unreleased import Revision, UnreleasedRevisions

HOLDS = "holds"  # the delivery (realtime.deliveries) the notices go to


class HoldsOverBus:
    def __init__(self, unreleased: UnreleasedRevisions, bus) -> None:
        self._unreleased = unreleased
        self._bus = bus
        self._process = uuid.uuid4().hex  # this process's own notices come back: they are ignored

    def tell(self, revisions: list[Revision]) -> None:
        self._bus.publish([{"to": HOLDS, "held": revisions, "by": self._process}])

    def receive(self, frames: list[dict]) -> None:
        for frame in frames:
            if frame["by"] != self._process:
                self._unreleased.held_elsewhere(frame["held"])


def tell_holds_over(bus, deliveries, unreleased: UnreleasedRevisions) -> None:
    """Every hold of a transport's changes told to the other processes on `bus`, theirs heard."""
    holds = HoldsOverBus(unreleased, bus)
    unreleased.tell_others = holds.tell
    deliveries.add(HOLDS, holds.receive)
    deliveries.on_arrival(unreleased.arrived)
