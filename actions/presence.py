"""Presence as people see it: online and last seen, filtered by privacy and blocks
(actions.access.may_see_presence), and told live to a user's contacts when it changes.
The live sockets themselves are counted in realtime.presence."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func

from actions.access import access_conversation, presence_audiences, presence_viewers, privacy_of, visible_presences
from events import atomic, queue_event
from events.facts import PresenceBatch, PresenceChanged
from extensions import db
from models import Contact, Membership, User
from models.time import utcnow
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
    visible = visible_presences(viewer.id, [user.id for user in users])  # may_see_presence, for all at once
    return {user.id: (PresenceView(True, user.id in online, user.last_seen_at)
                      if user.id in visible else HIDDEN) for user in users}


@atomic()
def announce_presence(user_id: int) -> None:
    """The user changed who may see their presence (their `last_seen` setting): tell everyone who would
    hear them come and go (presence:batch's audience: who shares a direct chat or a small group with
    them, or has them as a contact) whether they are online, or, to those that may not see it now, that
    it is hidden; otherwise the members of their groups would keep the last state they were shown."""
    viewers = sorted(_audiences([user_id]).get(user_id, set()))
    if viewers:
        _tell_whether_visible(user_id, viewers)


def announce_presence_between(first: int, second: int, subjects: Iterable[int] | None = None) -> None:
    """A block between two people was added or lifted: each of them who would hear the other come and
    go (presence:batch's audience) is told at once whether the other's presence is visible now, as
    `announce_presence` tells everyone; otherwise the last state they were shown would stay. Only the
    presence of `subjects` (of the two; by default both) is told."""
    subjects = {first, second} if subjects is None else set(subjects)
    audiences = _audiences(sorted(subjects))
    for subject, viewer in ((first, second), (second, first)):
        if subject in subjects and viewer in audiences.get(subject, set()):
            _tell_whether_visible(subject, [viewer])


def announce_presence_to_contact(first: int, second: int) -> None:
    """A contact between two people began or ended (actions.contacts): the presence of each of them
    whose `last_seen` is `contacts` is shown to the other now, or hidden, and told as a block tells it
    (announce_presence_between). Whoever shows theirs to everyone or nobody changed nothing for the other."""
    subjects = [user_id for user_id in (first, second) if privacy_of(user_id).last_seen == "contacts"]
    if subjects:
        announce_presence_between(first, second, subjects)


def _tell_whether_visible(user_id: int, viewers: list[int]) -> None:
    """Each of `viewers` told the user's presence, or that it is hidden from them now."""
    allowed = presence_viewers(user_id, viewers)  # may_see_presence for all of them at once
    visible = tuple(viewer for viewer in viewers if viewer in allowed)
    hidden = tuple(viewer for viewer in viewers if viewer not in visible)
    queue_event(PresenceChanged(user_id, presence.is_online(user_id), visible, hidden))


@atomic()
def announce_presence_changes(changes: Mapping[int, bool]) -> None:
    """Users came online (True) or went offline (False), as realtime.presence_tracker decided: all of
    them are last seen now (one UPDATE for the batch: the connect handler itself writes nothing), and
    everyone who shares a conversation with one of them or has them as a contact, and may see their
    presence (actions.access.presence_viewers), is told; each viewer once for the whole batch.
    Nobody else hears anything: not even that it is hidden."""
    if not changes:
        return
    subjects = sorted(changes)
    db.session.execute(db.update(User).where(User.id.in_(subjects)).values(last_seen_at=utcnow()))
    audiences = presence_audiences(_audiences(subjects))  # the rule for all of them at once
    seen_by: dict[int, list[int]] = {}
    for subject in subjects:
        for viewer in sorted(audiences.get(subject, ())):
            if viewer != subject:
                seen_by.setdefault(viewer, []).append(subject)
    if seen_by:
        queue_event(PresenceBatch(tuple((user_id, changes[user_id]) for user_id in subjects),
                                  tuple((viewer, tuple(seen)) for viewer, seen in sorted(seen_by.items()))))


def _audiences(subjects: list[int]) -> dict[int, set[int]]:
    """Who shares a conversation of at most PRESENCE_GROUP_LIMIT members with each subject, or has
    them as a contact. Bigger groups are not told each change (a thousand members coming and going
    would flood everyone, as Telegram and Slack avoid too): their pages ask for the count."""
    # Three plain reads (the subjects' conversations, their sizes, the members of the small ones)
    # rather than one join of every subject with every co-member: a batch of thousands (a reconnect
    # storm, issue 15) read each member once per subject sharing a conversation with them.
    theirs = _rows(subjects, lambda chunk: db.select(Membership.user_id, Membership.conversation_id)
                   .where(Membership.user_id.in_(chunk)))
    limit = current_app.config["PRESENCE_GROUP_LIMIT"]
    small = sorted(conversation_id for conversation_id, count in _rows(
        sorted({conversation_id for _user, conversation_id in theirs}),
        lambda chunk: db.select(Membership.conversation_id, func.count()).where(
            Membership.conversation_id.in_(chunk)).group_by(Membership.conversation_id)) if count <= limit)
    members: dict[int, set[int]] = {}
    for conversation_id, user_id in _rows(small, lambda chunk: db.select(
            Membership.conversation_id, Membership.user_id).where(Membership.conversation_id.in_(chunk))):
        members.setdefault(conversation_id, set()).add(user_id)
    audiences: dict[int, set[int]] = {}
    for subject, conversation_id in theirs:
        if conversation_id in members:
            audiences.setdefault(subject, set()).update(members[conversation_id] - {subject})
    for subject, viewer in db.session.execute(
            db.select(Contact.user_id, Contact.contact_id).where(Contact.user_id.in_(subjects))):
        audiences.setdefault(subject, set()).add(viewer)
    return audiences


def _rows(ids: list[int], query) -> list:
    """The rows of `query(chunk)` for every 500 of `ids` (SQLite's limit on bound parameters)."""
    return [row for start in range(0, len(ids), 500) for row in db.session.execute(query(ids[start:start + 500]))]


@dataclass(frozen=True)
class ConversationPresence:
    conversation_id: int
    online_count: int  # members online that the viewer may see (themselves included)
    views: dict[int, PresenceView]


def users_presence(viewer: User, user_ids: list[int]) -> dict[int, PresenceView]:
    """Several people's presence as `viewer` may see it; unknown accounts and those not findable
    (User.findable: deactivated, suspended, unconfirmed) are left out."""
    users = db.session.execute(db.select(User).where(User.id.in_(user_ids), User.findable)).scalars()
    return presence_views(viewer, users)


def conversation_presence(viewer: User, conversation_id: int) -> ConversationPresence:
    """Its members' presence and how many of them are online, for a member of the conversation."""
    access_conversation(viewer, conversation_id)
    members = db.session.execute(db.select(User).join(Membership, Membership.user_id == User.id)
                                 .where(Membership.conversation_id == conversation_id)).scalars()
    views = presence_views(viewer, members)
    return ConversationPresence(conversation_id, sum(1 for view in views.values() if view.online), views)
