"""A process's live connections brought back in line with the database once its bus is back, and the
rule every reading of a connection's rooms follows.

While a process's bus is degraded (Redis unreachable: realtime.bus), the frames other processes
publish never reach it, room changes and cuts included: a member removed from a group elsewhere
would go on receiving the group's messages here, and a user deactivated elsewhere, or a token
revoked there, would keep this process's connections open. So when the bus is back, each delivery
(Socket.IO's, the gateway's) hands what it holds to `reconcile`: every connection whose credential
no longer works is cut, and every other one follows exactly the conversations its user may read now.

**The rule** (`read_unchanged`): a room change is aimed at the rooms a connection is in (its user's,
its credential's), so a connection's credential and conversations, read from the database and then
applied, are right only if no room change aimed at those rooms was applied in between (one applied
before the connection was in the room passed it by). Each delivery notes the room commands it applies
(`RoomChanges`); a reading during which one was applied to its rooms is made again, and after
READINGS such readings the connection is refused or cut, to come back read afresh. A socket's
connect (blueprints/chat/events.py) and a gateway login (gateway/commands.py) follow it too.
"""
from __future__ import annotations

import functools
import logging
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from flask import Flask

from actions.access import list_readable_conversation_ids
from actions.accounts import live_credential
from events.unit_of_work import atomic
from realtime import credential_room, user_room

log = logging.getLogger(__name__)

READINGS = 5  # a room change applied during every one of them: refused, or cut
RETRY_SECONDS = 2.0  # between passes over the users whose reading failed (the database away)
PASSES = 5  # then those still unread are cut
Reading = TypeVar("Reading")


class KeptChanging(Exception):
    """A room change was applied during every one of READINGS readings."""


class RoomChanges:
    """The room commands a delivery has applied: how many, and when one was last aimed at each room,
    in a fixed number of slots (rooms sharing a slot only cost a needless reading)."""

    SLOTS = 4096

    def __init__(self) -> None:
        self.count = 0
        self._last = [0] * self.SLOTS
        self._everywhere = 0  # when commands for any room may have been lost (the bus was degraded)

    def applied(self, room: str) -> None:
        self.count += 1
        self._last[hash(room) % self.SLOTS] = self.count

    def lost_anywhere(self) -> None:
        """The bus is back after an outage: commands aimed at any room may have been lost, so every
        reading under way is made again (a connect that read before, and is not yet a socket the
        correction reads: it skips those)."""
        self.count += 1
        self._everywhere = self.count

    def since(self, mark: int, rooms: Iterable[str]) -> bool:
        """Whether a command aimed at one of `rooms` was applied (or lost) after `count` was `mark`."""
        return self._everywhere > mark or any(self._last[hash(room) % self.SLOTS] > mark for room in rooms)


def read_unchanged(changes: RoomChanges, read: Callable[[], Reading],
                   rooms_of: Callable[[Reading], Iterable[str]]) -> Reading:
    """`read()` again until no room change aimed at the rooms its reading depends on
    (`rooms_of(reading)`) was applied while it ran."""
    for _reading in range(READINGS):
        mark = changes.count
        reading = read()
        if not changes.since(mark, rooms_of(reading)):
            return reading
    raise KeptChanging()


class OneAtATime:
    """`run()` one at a time: asked for while it runs (the bus back again during a long correction),
    it runs once more afterwards, not beside it."""

    def __init__(self, run: Callable[[], object]) -> None:
        self._run, self._running, self._again = run, False, False

    def __call__(self) -> None:
        if self._running:
            self._again = True
            return
        self._running = True
        try:
            self._again = True
            while self._again:
                self._again = False
                self._run()
        finally:
            self._running = False


@dataclass(frozen=True)
class LiveConnection:
    """One connection as its process holds it."""
    connection: Hashable  # a socket's sid, a gateway Connection
    user_id: int
    method: str  # "session" or "token"
    credential: object  # the login session's id, the token's id
    conversations: frozenset[int]  # the conversations it receives now


@dataclass(frozen=True)
class Correction:
    cut: bool  # close it: its credential no longer works, or it could not be checked
    follow: frozenset[int]  # conversations to receive from now on
    unfollow: frozenset[int]  # conversations to stop receiving
    checked: bool = True  # False: cut because it could not be checked (it may come back at once)


CUT = Correction(cut=True, follow=frozenset(), unfollow=frozenset())
UNCHECKED = Correction(cut=True, follow=frozenset(), unfollow=frozenset(), checked=False)


def reconcile(app: Flask, connections: list[LiveConnection], changes: RoomChanges,
              correct: Callable[[LiveConnection, Correction], bool], sleep: Callable[[float], None],
              what: str) -> int:
    """Correct `connections` (`what` they are, for the log; `changes`: the room commands their delivery
    applied): `correct` is handed each one that needs it and says whether it applied it (False: the
    connection went meanwhile, or is still connecting). `sleep(0)` lets others run between users. A
    user whose reading fails (the database away) is read again RETRY_SECONDS later, PASSES times at
    most, then cut, unchecked. Returns how many were corrected."""
    corrected, waiting = 0, connections
    for attempt in range(PASSES):
        if attempt:
            sleep(RETRY_SECONDS)
        done, waiting = _pass(app, waiting, changes, correct, sleep, last=attempt == PASSES - 1)
        corrected += done
        if not waiting:
            break
        log.warning("message bus: %d %s not read again after the outage (the database away): again in %.0f s",
                    len(waiting), what, RETRY_SECONDS)
    if corrected:
        log.warning("message bus: %d of %d %s corrected after the outage (cut, or their conversations changed "
                    "elsewhere meanwhile)", corrected, len(connections), what)
    return corrected


def _pass(app, connections, changes, correct, sleep, last: bool) -> tuple[int, list[LiveConnection]]:
    by_user: dict[int, list[LiveConnection]] = defaultdict(list)
    for connection in connections:
        by_user[connection.user_id].append(connection)
    corrected, unread = 0, []
    for user_id, theirs in by_user.items():
        try:
            rooms = {user_room(user_id), *(credential_room(connection.method, connection.credential)
                                           for connection in theirs)}
            live, readable = read_unchanged(changes, functools.partial(_read_access, app, user_id, theirs),
                                            lambda _reading, rooms=rooms: rooms)
            corrections = [_correction(connection, live, readable) for connection in theirs]
        except KeptChanging:  # not known to be right: cut; they come back read afresh
            corrections = [UNCHECKED] * len(theirs)
        except Exception:  # noqa: BLE001  (the database away: read again later, cut at the last pass)
            if not last:
                unread.extend(theirs)
                continue
            log.exception("message bus: user %s's connections could not be read again after the outage: cut",
                          user_id)
            corrections = [UNCHECKED] * len(theirs)
        # Cuts last: a cut runs the connection's goodbye (a call to Redis for presence), and a room
        # change applied then would make this reading stale for the corrections after it.
        pairs = sorted(zip(theirs, corrections, strict=True), key=lambda pair: pair[1].cut)
        for connection, correction in pairs:
            if correction.cut or correction.follow or correction.unfollow:
                try:
                    corrected += bool(correct(connection, correction))
                except Exception:  # noqa: BLE001  (one connection's failure must not stop the others')
                    log.exception("message bus: could not correct a connection of user %s", user_id)
        sleep(0)
    return corrected, unread


def _correction(connection: LiveConnection, live: set[tuple[str, object]], readable: frozenset[int]) -> Correction:
    if (connection.method, connection.credential) not in live:
        return CUT
    return Correction(cut=False, follow=readable - connection.conversations,
                      unfollow=connection.conversations - readable)


def _read_access(app: Flask, user_id: int, connections: list[LiveConnection]
                 ) -> tuple[set[tuple[str, object]], frozenset[int]]:
    """Which of the user's credentials still work, and the conversations the user may read."""
    with app.app_context(), atomic():
        credentials = {(connection.method, connection.credential) for connection in connections}
        live = {credential for credential in credentials if live_credential(*credential, user_id) is not None}
        return live, frozenset(list_readable_conversation_ids(user_id))
