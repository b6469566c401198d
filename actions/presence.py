"""Presence as people see it: online and last seen, filtered by privacy and blocks
(actions.access.may_see_presence), and told live to a user's contacts when it changes.
The live sockets themselves are counted in realtime.presence."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from actions.access import may_see_presence
from actions.contacts import contact_ids_of
from events import atomic, queue_event
from events.facts import PresenceChanged
from models import User
from realtime.presence import presence


@dataclass(frozen=True)
class PresenceView:
    visible: bool
    online: bool | None  # None: hidden from this viewer
    last_seen_at: datetime | None


HIDDEN = PresenceView(visible=False, online=None, last_seen_at=None)


def presence_views(viewer: User, users: Iterable[User]) -> dict[int, PresenceView]:
    """What `viewer` may see of each user's presence (one look at the presence store)."""
    users = list(users)
    online = presence.online_user_ids() if users else set()
    return {user.id: (PresenceView(True, user.id in online, user.last_seen_at)
                      if may_see_presence(viewer.id, user.id) else HIDDEN) for user in users}


@atomic()
def announce_presence(user_id: int, online: bool | None = None, *, only_if_offline: bool = False) -> None:
    """Tell the user's contacts that they are online or not (None: as the presence store says now);
    contacts that may not see it are told it is hidden. `only_if_offline`: say nothing while the
    user still has a connection (a socket closed, another one stays)."""
    viewers = contact_ids_of(user_id)
    if not viewers:
        return
    if online is None:
        online = presence.is_online(user_id)
        if online and only_if_offline:
            return
    visible = tuple(viewer for viewer in viewers if may_see_presence(viewer, user_id))
    hidden = tuple(viewer for viewer in viewers if viewer not in visible)
    queue_event(PresenceChanged(user_id, online, visible, hidden))
