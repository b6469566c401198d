"""The numbers on the back office's front page.

Traffic is counted by day without reading a month of messages on every visit: the days before today are
counted once per process and UTC day (`settled_counts`, kept on the app), today on every visit, both through
`ix_messages_created_at` (a range of it: only the days counted are read). The figures are exact: a message
is stamped with its instance's clock when stored and never moves to another day. Until SETTLE after midnight
yesterday is still counted on every visit, so that a message stamped just before midnight and committed just
after is not missed; messages removed afterwards with their group (actions.group_admin's purge) still count
in the days already counted, until the next UTC day: they were sent.
"""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func

from actions.reports import open_report_count
from extensions import db
from long_reads import long_read
from models import Conversation, Message, User
from models.time import utcnow
from realtime.presence import presence

SETTLE = timedelta(minutes=5)
SETTLED_KEY = "dashboard_settled_counts"  # in app.extensions: this process's count of the days before today
SETTLING_KEY = "dashboard_settling"  # in app.extensions: held by the visit counting them


@dataclass(frozen=True)
class DailyCount:
    day: date
    count: int


@dataclass(frozen=True)
class GroupActivity:
    group: Conversation
    message_count: int


@dataclass(frozen=True)
class Dashboard:
    online_users: int
    connected_sockets: int
    messages_today: int
    messages_per_day: list[DailyCount]  # oldest first, one entry per day, zeros included
    most_active_groups: list[GroupActivity]
    most_active_days: int  # the UTC days the busiest groups are counted over, today included
    open_reports: int
    recently_deactivated: list[User]


@dataclass(frozen=True)
class Traffic:
    """People's messages in a range of days: per UTC day (ISO day -> count) and per group (id -> count)."""

    per_day: dict[str, int]
    per_group: Counter[int]


def dashboard(days: int = 30, active_group_days: int = 7, top: int = 5) -> Dashboard:
    """Who is online, message traffic (people's messages, not service notices) over the last `days` UTC
    days, the busiest groups over the last `active_group_days` UTC days (today included), what needs attention."""
    now = utcnow()
    today = now.date()
    first, group_first = today - timedelta(days=days - 1), today - timedelta(days=active_group_days - 1)
    live_from = datetime.combine(today, datetime.min.time())
    if now - live_from < SETTLE:
        live_from -= timedelta(days=1)
    settled = settled_counts(first, group_first, live_from)
    # Bounded on both sides (to the end of today): with a lower bound alone SQLite guessed a quarter of the
    # messages and read every message of every conversation by its index instead, for the GROUP BY's order.
    tomorrow = midnight(today + timedelta(days=1))
    # Groups from their own first day: just after midnight the live days begin yesterday, which a range of
    # one day (today) leaves out.
    live = Traffic(day_counts(live_from, tomorrow), group_counts(max(live_from, midnight(group_first)), tomorrow))
    per_day = [DailyCount(first + timedelta(days=offset),
                          settled.per_day.get(day, 0) + live.per_day.get(day, 0))
               for offset in range(days) for day in [(first + timedelta(days=offset)).isoformat()]]
    return Dashboard(
        online_users=len(presence.online_user_ids()),
        connected_sockets=presence.socket_count(),
        messages_today=per_day[-1].count,
        messages_per_day=per_day,
        most_active_groups=busiest_groups(settled.per_group + live.per_group, top),
        most_active_days=active_group_days,
        open_reports=open_report_count(),
        recently_deactivated=list(db.session.execute(
            db.select(User).where(User.active.is_(False)).order_by(User.deactivated_at.desc()).limit(top * 2)
        ).scalars()),
    )


def settled_counts(first: date, group_first: date, live_from: datetime) -> Traffic:
    """The days from `first` to before `live_from`, counted once per process while they are the same days."""
    key = (first, group_first, live_from)
    kept = current_app.extensions.get(SETTLED_KEY)
    if kept is None or kept[0] != key:
        # One visit counts; another arriving meanwhile waits for its count (the lock is gevent's once threading
        # is patched: the waiting greenlet lets the loop run). A count that fails keeps nothing: the next visit
        # counts again.
        with current_app.extensions.setdefault(SETTLING_KEY, threading.Lock()):
            kept = current_app.extensions.get(SETTLED_KEY)
            if kept is None or kept[0] != key:  # not counted meanwhile
                kept = (key, Traffic(day_counts(midnight(first), live_from),
                                     group_counts(midnight(group_first), live_from)))
                current_app.extensions[SETTLED_KEY] = kept
    return kept[1]


def midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def people_messages(since: datetime, until: datetime) -> list:
    """The conditions: people's messages (not service notices) stamped from `since` to before `until`."""
    return [Message.created_at >= since, Message.created_at < until, Message.kind != "system"]


def day_counts(since: datetime, until: datetime) -> dict[str, int]:
    """People's messages per UTC day (ISO day -> count), from a range of ix_messages_created_at."""
    day = func.date(Message.created_at)
    rows = db.session.execute(long_read(
        db.select(day, func.count()).where(*people_messages(since, until)).group_by(day)
    )).all()
    # SQLite answers date() with text, PostgreSQL with a date: compare as ISO strings.
    return {str(value): count for value, count in rows}


def group_counts(since: datetime, until: datetime) -> Counter[int]:
    """Each group's people's messages (group id -> count), from a range of ix_messages_created_at."""
    # Counted per conversation from the range first, then kept if a group: joined the other way round, SQLite
    # read every message of every group by its conversation index, whatever the range.
    per_conversation = (db.select(Message.conversation_id, func.count().label("messages"))
                        .where(*people_messages(since, until)).group_by(Message.conversation_id).subquery())
    rows = db.session.execute(long_read(
        db.select(per_conversation.c.conversation_id, per_conversation.c.messages)
        .join(Conversation, Conversation.id == per_conversation.c.conversation_id)
        .where(Conversation.kind == "group")
    )).all()
    return Counter(dict(rows))


def busiest_groups(counts: Counter[int], top: int) -> list[GroupActivity]:
    """The `top` groups with the most messages, busiest first (then the oldest group), loaded now."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top * 2]
    groups = {group.id: group for group in db.session.execute(  # a group deleted since is gone
        db.select(Conversation).where(Conversation.id.in_([group_id for group_id, _ in ranked]),
                                      Conversation.kind == "group")).scalars()}
    return [GroupActivity(groups[group_id], count) for group_id, count in ranked if group_id in groups][:top]
