"""Revisions committed by this process whose events it has not released yet.

A socket event's changes are held until its ack is written (blueprints.chat.socket_queue), so
that its author has the answer before anyone hears of the change. Meanwhile another change
of the same conversation may be released, and the process's reorder buffer
(realtime.ordering) sees a gap: after a short wait it reads the missing revision from the
database and sends it. Read then, a revision still held here would reach everyone before its
author's ack. So the buffer asks `held_between` first and, while the revision is held here,
waits for its release instead; past HELD_AT_MOST (an author whose ack could not be written,
a batch that was never delivered) it reads it all the same.

A revision is held from just before its COMMIT (`hold`) until its events are delivered, or
the transaction rolled back (`let_go`). Each app's dispatcher keeps one of these.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

HELD_AT_MOST = 10.0  # seconds: above realtime.answer_first.WAITED_AT_MOST, the longest an answer is waited for

Revision = tuple[int, int]  # (conversation id, revision)


class UnreleasedRevisions:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._since: dict[int, dict[int, float]] = {}  # conversation id -> {revision: held since}
        self._lock = threading.Lock()

    def hold(self, revisions: Iterable[Revision]) -> None:
        now = self._clock()
        with self._lock:
            for conversation_id, revision in revisions:
                self._since.setdefault(conversation_id, {})[revision] = now

    def let_go(self, revisions: Iterable[Revision]) -> None:
        with self._lock:
            for conversation_id, revision in revisions:
                held = self._since.get(conversation_id)
                if held is not None:
                    held.pop(revision, None)
                    if not held:
                        del self._since[conversation_id]

    def held_between(self, conversation_id: int, first: int, last: int) -> bool:
        """Is one of the conversation's revisions first..last held here, for less than HELD_AT_MOST?"""
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
