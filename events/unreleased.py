"""Revisions committed but not released yet, by this process or by another.

A socket event's changes are held until its ack is written (blueprints.chat.socket_queue), so
that its author has the answer before anyone hears of the change. Meanwhile another change
of the same conversation may be released, and a process's reorder buffer (realtime.ordering)
sees a gap: after a short wait it reads the missing revision from the database and sends it.
Read then, a revision still held would reach everyone before its author's ack. So the buffer
asks `held_between` first and, while the revision is held, waits for its release instead; past
HELD_AT_MOST (an author whose ack could not be written, a batch that was never delivered, a
process that died holding it) it reads it all the same.

A revision is held from just before its COMMIT (`hold`) until its events are delivered, or the
transaction rolled back (`let_go`). This process's holds are kept here. With several processes,
those held for a transport's answer are also kept where every process can ask
(`elsewhere`: realtime.held_elsewhere, in Redis), written before the COMMIT: a later revision
of the conversation commits after it, so a buffer that sees the gap it leaves can find the hold.
Each app's dispatcher keeps one of these.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Protocol

HELD_AT_MOST = 10.0  # seconds: above realtime.answer_first.WAITED_AT_MOST, the longest an answer is waited for

Revision = tuple[int, int]  # (conversation id, revision)


class HoldsElsewhere(Protocol):
    """Holds every process can see (realtime.held_elsewhere.RedisHolds); each forgets a hold after HELD_AT_MOST."""

    def hold(self, revisions: list[Revision]) -> None: ...

    def let_go(self, revisions: list[Revision]) -> None: ...

    def held_between(self, conversation_id: int, first: int, last: int) -> bool: ...


class UnreleasedRevisions:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._since: dict[int, dict[int, float]] = {}  # conversation id -> {revision: held since}
        self._lock = threading.Lock()
        self.elsewhere: HoldsElsewhere | None = None  # set when other processes deliver too

    def hold(self, revisions: Iterable[Revision], for_a_transport: bool = False) -> None:
        """Held here; `for_a_transport` (until its answer is written): elsewhere too, before this returns."""
        revisions = list(revisions)
        now = self._clock()
        with self._lock:
            for conversation_id, revision in revisions:
                self._since.setdefault(conversation_id, {})[revision] = now
        if (shared := self._shared(revisions, for_a_transport)) is not None:
            shared.hold(revisions)

    def let_go(self, revisions: Iterable[Revision], for_a_transport: bool = False) -> None:
        revisions = list(revisions)
        with self._lock:
            for conversation_id, revision in revisions:
                held = self._since.get(conversation_id)
                if held is not None:
                    held.pop(revision, None)
                    if not held:
                        del self._since[conversation_id]
        if (shared := self._shared(revisions, for_a_transport)) is not None:
            shared.let_go(revisions)

    def _shared(self, revisions: list[Revision], for_a_transport: bool) -> HoldsElsewhere | None:
        """Where other processes see these holds, if they should: only holds for a transport's answer."""
        return self.elsewhere if for_a_transport and revisions else None

    def held_between(self, conversation_id: int, first: int, last: int) -> bool:
        """Is one of the conversation's revisions first..last held, for less than HELD_AT_MOST? Here, then
        (with several processes) elsewhere: that may ask Redis, so the caller holds no lock of its own."""
        return self._held_here(conversation_id, first, last) or (
            self.elsewhere is not None and self.elsewhere.held_between(conversation_id, first, last))

    def _held_here(self, conversation_id: int, first: int, last: int) -> bool:
        recent = self._clock() - HELD_AT_MOST
        with self._lock:
            held = self._since.get(conversation_id)
            if held is None:
                return False
            for revision in [revision for revision, since in held.items() if since <= recent]:
                del held[revision]  # never let go of: forgotten, not kept forever
            if not held:
                del self._since[conversation_id]
            return any(first <= revision <= last for revision in held)
