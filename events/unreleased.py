"""Revisions committed but not released yet, by this process or, as told over the bus, by another.

A socket event's changes are held until its ack is written (blueprints.chat.socket_queue), so
that its author has the answer before anyone hears of the change. Meanwhile another change
of the same conversation may be released, and a process's reorder buffer (realtime.ordering)
sees a gap: after a short wait it reads the missing revision from the database and sends it.
Read then, a revision still held would reach everyone before its author's ack. So the buffer
asks `held_between` first and, while the revision is held, waits for its release instead; past
HELD_AT_MOST (an author whose ack could not be written, a batch that was never delivered, a
process that died holding it) it reads it all the same.

Held here: from just before its COMMIT (`hold`) until its events are delivered, or the
transaction rolled back (`let_go`). Held elsewhere: with several processes
(realtime.held_elsewhere), a process that holds revisions for a transport tells the others
before its COMMIT (`tell_others`, waiting until the bus has taken the notice), so every
process hears of the hold before it can hear of any later revision of the conversation,
which commits after it; they note it (`held_elsewhere`) until the revision's first frame
arrives (`arrived`): its holder releases it only once the ack is written. Each app's
dispatcher keeps one of these.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

HELD_AT_MOST = 10.0  # seconds: above realtime.answer_first.WAITED_AT_MOST, the longest an answer is waited for

Revision = tuple[int, int]  # (conversation id, revision)


class _Holds:
    """Revisions by conversation, each with when it was (last) held."""

    def __init__(self) -> None:
        self.since: dict[int, dict[int, float]] = {}

    def add(self, revisions: Iterable[Revision], now: float) -> None:
        for conversation_id, revision in revisions:
            self.since.setdefault(conversation_id, {})[revision] = now

    def remove(self, revisions: Iterable[Revision]) -> None:
        for conversation_id, revision in revisions:
            held = self.since.get(conversation_id)
            if held is not None:
                held.pop(revision, None)
                if not held:
                    del self.since[conversation_id]

    def between(self, conversation_id: int, first: int, last: int, recent: float) -> bool:
        """One of first..last held since `recent` or later; older holds are forgotten."""
        held = self.since.get(conversation_id)
        if held is None:
            return False
        for revision in [revision for revision, since in held.items() if since <= recent]:
            del held[revision]  # never let go of: forgotten, not kept forever
        if not held:
            del self.since[conversation_id]
        return any(first <= revision <= last for revision in held)


class UnreleasedRevisions:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._here = _Holds()
        self._elsewhere = _Holds()
        self._lock = threading.Lock()
        # Set when other processes deliver too (realtime.held_elsewhere): tells them of a hold and
        # returns once the bus has taken the notice.
        self.tell_others: Callable[[list[Revision]], None] | None = None

    def hold(self, revisions: Iterable[Revision], for_a_transport: bool = False) -> None:
        """Held here; `for_a_transport`: until an answer is written, so the other processes are told first."""
        revisions = list(revisions)
        with self._lock:
            self._here.add(revisions, self._clock())
        if for_a_transport and revisions and self.tell_others is not None:
            self.tell_others(revisions)

    def let_go(self, revisions: Iterable[Revision]) -> None:
        with self._lock:
            self._here.remove(revisions)

    def held_elsewhere(self, revisions: Iterable[Revision]) -> None:
        with self._lock:
            self._elsewhere.add(revisions, self._clock())

    def arrived(self, conversation_id: int, revision: int) -> None:
        """A frame of the revision came over the bus: its holder has released it."""
        if self._elsewhere.since:  # read without the lock: nearly always empty
            with self._lock:
                self._elsewhere.remove([(conversation_id, revision)])

    def held_between(self, conversation_id: int, first: int, last: int) -> bool:
        """Is one of the conversation's revisions first..last held, here or elsewhere, for less than HELD_AT_MOST?"""
        recent = self._clock() - HELD_AT_MOST
        with self._lock:
            return (self._here.between(conversation_id, first, last, recent)
                    or self._elsewhere.between(conversation_id, first, last, recent))
