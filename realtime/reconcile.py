"""A process's live connections brought back in line with the database once its bus is back.

While a process's bus is degraded (Redis unreachable: realtime.bus), the frames other processes
publish never reach it, room changes and cuts included: a member removed from a group elsewhere
would go on receiving the group's messages here, and a user deactivated elsewhere, or a token
revoked there, would keep this process's connections open. So when the bus is back, each delivery
(Socket.IO's, the gateway's) hands what it holds to `reconcile`: every connection whose credential
no longer works is cut, and every other one follows exactly the conversations its user may read now.

A user's connections are corrected from one reading of the database. If a room change (a frame
from the bus) is applied while that reading is under way, the user is read again, so that an older
reading never undoes a newer change; one user at a time, the others' events running in between.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from flask import Flask

from actions.access import list_readable_conversation_ids
from blueprints.identity import opened_with
from events.unit_of_work import atomic

log = logging.getLogger(__name__)

READINGS_PER_USER = 5  # room changes arriving during every one of them: corrected by the last


@dataclass(frozen=True)
class Held:
    """One live connection as its process holds it."""
    connection: Hashable  # a socket's sid, a gateway Connection
    user_id: int
    method: str  # "session" or "token"
    credential: object  # the login session's id, the token's id
    conversations: frozenset[int]  # the conversations it receives now


@dataclass(frozen=True)
class Correction:
    cut: bool  # its credential no longer works: close it
    follow: frozenset[int]  # conversations to receive from now on
    unfollow: frozenset[int]  # conversations to stop receiving


def reconcile(app: Flask, held: list[Held], room_changes: Callable[[], int],
              correct: Callable[[Held, Correction], None], pause: Callable[[], None]) -> int:
    """Correct every connection in `held`; `room_changes()` counts the room changes the delivery has
    applied so far, `pause()` lets others run between users. Returns how many were corrected."""
    by_user: dict[int, list[Held]] = defaultdict(list)
    for connection in held:
        by_user[connection.user_id].append(connection)
    corrected = 0
    for user_id, connections in by_user.items():
        try:
            for _reading in range(READINGS_PER_USER):
                before = room_changes()
                live, readable = _read(app, user_id, connections)
                if room_changes() == before:
                    break
        except Exception:  # not known to be right: cut; the client reconnects and is read afresh
            log.exception("message bus: could not read user %s's connections again after the outage: cut", user_id)
            live, readable = set(), frozenset()
        for connection in connections:
            correction = Correction(cut=(connection.method, connection.credential) not in live,
                                    follow=readable - connection.conversations,
                                    unfollow=connection.conversations - readable)
            if correction.cut or correction.follow or correction.unfollow:
                correct(connection, correction)
                corrected += 1
        pause()
    if corrected:
        log.warning("message bus: %d of %d connections corrected after the outage (cut, or their "
                    "conversations changed elsewhere meanwhile)", corrected, len(held))
    return corrected


def _read(app: Flask, user_id: int, connections: list[Held]) -> tuple[set[tuple[str, object]], frozenset[int]]:
    """Which of the user's credentials still work, and the conversations the user may read."""
    with app.app_context(), atomic():
        credentials = {(held.method, held.credential) for held in connections}
        live = {credential for credential in credentials if opened_with(*credential, user_id) is not None}
        return live, frozenset(list_readable_conversation_ids(user_id))
