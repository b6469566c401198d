"""Revision order per conversation, at the process that delivers to the sockets.

Revisions of a conversation commit in order (the conversation row is locked from the
revision's allocation to the commit), but the events leave afterwards, from different
greenlets and different processes, and can arrive here in any order. Each conversation
has a small buffer: a frame with the next expected revision goes out at once (and with it
whatever was waiting just above it); a frame further ahead waits. If the gap is still
open after `wait_seconds`, the missing revisions are read from the database (they are
committed: a later one could not have been otherwise) and sent before the frames that
waited. A frame below the expected revision has been superseded by that read and is
dropped, so a connection never sees a revision lower than one it has already seen.

The first frame of a conversation here (after the process started, or once the
conversation was forgotten) does not say what came before it: a lower revision may still
be on its way. Unless it is revision 1, it waits the same `wait_seconds`; the lowest
revision that arrived meanwhile is where this process starts, and gaps above it are filled.

A missing revision still held (its author's ack is not written yet: events.unreleased; by this
process, or by another one, as Redis says: realtime.held_elsewhere, asked outside the buffer's
lock) is not read: the buffer waits for its release, as it waits before starting at a revision
above one that is held, so that order comes from the release and not from how long an ack took
to write.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

WAIT_SECONDS = 0.25  # far above the time between a commit and its release; far below a user's patience
CAPACITY = 50_000  # conversations remembered per process; the least recently active are forgotten


@dataclass
class _Conversation:
    expected: int
    waiting: dict[int, object] = field(default_factory=dict)
    filling: bool = False
    settling: bool = False  # first seen here: lower revisions may still arrive during the first wait


# read_missing(conversation_id, first, last) -> [(revision, frame), ...] of rows still at those revisions
ReadMissing = Callable[[int, int, int], list[tuple[int, object]]]
# held(conversation_id, first, last): one of those revisions is committed, not released yet (here or elsewhere)
Held = Callable[[int, int, int], bool]


def _nothing_held(_conversation_id: int, _first: int, _last: int) -> bool:
    return False


class RevisionOrder:
    def __init__(self, send: Callable[[object], None], read_missing: ReadMissing,
                 start_background_task: Callable, sleep: Callable[[float], None],
                 wait_seconds: float = WAIT_SECONDS, capacity: int = CAPACITY,
                 held: Held = _nothing_held) -> None:
        self._send = send
        self._read_missing = read_missing
        self._held = held
        self._start = start_background_task
        self._sleep = sleep
        self._wait_seconds = wait_seconds
        self._capacity = capacity
        self._conversations: OrderedDict[int, _Conversation] = OrderedDict()
        self._lock = threading.Lock()

    def offer(self, conversation_id: int, revision: int, frame: object) -> None:
        with self._lock:
            state = self._state(conversation_id, revision)
            if state.settling:
                state.expected = min(state.expected, revision)
                state.waiting[revision] = frame
                return
            if revision < state.expected:
                log.debug("conversation %s: revision %s arrived after it was filled", conversation_id, revision)
                return
            if revision > state.expected:
                state.waiting[revision] = frame
                self._start_filling(conversation_id, state)
                return
            self._send(frame)
            state.expected += 1
            self._send_waiting(state)

    def receive(self, frames: list[dict]) -> None:
        """Frames from the bus, as both deliveries (Socket.IO and the gateway) publish them: one with an
        `"order": [conversation_id, revision]` is offered, any other is sent at once."""
        for frame in frames:
            if "order" in frame:
                conversation_id, revision = frame["order"]
                self.offer(conversation_id, revision, frame)
            else:
                self._send(frame)

    def waiting_count(self) -> int:
        with self._lock:
            return sum(len(state.waiting) for state in self._conversations.values())

    def _state(self, conversation_id: int, revision: int) -> _Conversation:
        state = self._conversations.get(conversation_id)
        if state is None:
            # First frame of this conversation here: revision 1 has nothing before it; any
            # other may have been overtaken by one below it, still on its way.
            state = self._conversations[conversation_id] = _Conversation(expected=revision, settling=revision > 1)
            if state.settling:
                self._start_filling(conversation_id, state)
            self._forget_idle()
        else:
            self._conversations.move_to_end(conversation_id)
        return state

    def _start_filling(self, conversation_id: int, state: _Conversation) -> None:
        if not state.filling:
            state.filling = True
            self._start(self._fill_gap, conversation_id)

    def _forget_idle(self) -> None:
        while len(self._conversations) > self._capacity:
            oldest_id, oldest = next(iter(self._conversations.items()))
            if oldest.waiting or oldest.filling:
                self._conversations.move_to_end(oldest_id)
                return
            del self._conversations[oldest_id]

    def _send_waiting(self, state: _Conversation) -> None:
        while state.expected in state.waiting:
            self._send(state.waiting.pop(state.expected))
            state.expected += 1

    def _fill_gap(self, conversation_id: int) -> None:
        at_once = False  # a settled start leaves its gap to be filled at once, not after another wait
        while True:
            if not at_once:
                self._sleep(self._wait_seconds)
            at_once = False
            with self._lock:
                state = self._conversations.get(conversation_id)
                if state is None or not (state.settling or state.waiting):
                    if state is not None:
                        state.filling = False
                    return
                settling = state.settling
                # settling: a lower revision on its way from here; else the gap below the waiting frames
                first, last = (1, state.expected - 1) if settling else (state.expected, min(state.waiting) - 1)
            if self._held(conversation_id, first, last):  # may ask Redis: not under the lock
                continue  # released once its author has the ack: wait for it, do not read it
            if settling:
                with self._lock:
                    state.settling = False  # this process starts at the lowest revision that came
                    self._send_waiting(state)
                at_once = True
                continue
            try:
                missing = self._read_missing(conversation_id, first, last)
            except Exception:
                log.exception("conversation %s: could not read revisions %s-%s", conversation_id, first, last)
                missing = []
            with self._lock:
                for revision, frame in missing:
                    if state.expected <= revision <= last:
                        self._send(frame)
                        state.expected = revision + 1
                state.expected = max(state.expected, last + 1)
                self._send_waiting(state)
                if not state.waiting:
                    state.filling = False
                    return
