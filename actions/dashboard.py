"""The numbers on the back office's front page."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func

from actions.reports import open_report_count
from extensions import db
from long_reads import long_read
from models import Conversation, Message, User
from models.time import utcnow
from realtime.presence import presence


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
    open_reports: int
    recently_deactivated: list[User]


def dashboard(days: int = 30, active_group_days: int = 7, top: int = 5) -> Dashboard:
    """Who is online, message traffic (people's messages, not service notices), and what needs attention."""
    now = utcnow()
    today = now.date()
    per_day = messages_per_day(today - timedelta(days=days - 1), today)
    return Dashboard(
        online_users=len(presence.online_user_ids()),
        connected_sockets=presence.socket_count(),
        messages_today=per_day[-1].count,
        messages_per_day=per_day,
        most_active_groups=most_active_groups(now - timedelta(days=active_group_days), top),
        open_reports=open_report_count(),
        recently_deactivated=list(db.session.execute(
            db.select(User).where(User.active.is_(False)).order_by(User.deactivated_at.desc()).limit(top * 2)
        ).scalars()),
    )


def messages_per_day(first: date, last: date) -> list[DailyCount]:
    """Messages sent each day from `first` to `last` (UTC days), including days without any."""
    day = func.date(Message.created_at)
    rows = db.session.execute(long_read(  # a month of messages counted: on SQLite, on a native thread
        db.select(day, func.count(Message.id))
        .where(Message.created_at >= datetime.combine(first, datetime.min.time()), Message.kind != "system")
        .group_by(day)
    )).all()
    # SQLite answers date() with text, PostgreSQL with a date: compare as ISO strings.
    counts = {str(value): count for value, count in rows}
    span = (last - first).days + 1
    return [DailyCount(first + timedelta(days=offset), counts.get((first + timedelta(days=offset)).isoformat(), 0))
            for offset in range(span)]


def most_active_groups(since: datetime, top: int) -> list[GroupActivity]:
    """The groups with the most messages since a moment."""
    count = func.count(Message.id)
    rows = db.session.execute(long_read(  # a week of messages counted
        db.select(Conversation, count).join(Message, Message.conversation_id == Conversation.id)
        .where(Conversation.kind == "group", Message.created_at >= since, Message.kind != "system")
        .group_by(Conversation.id).order_by(count.desc(), Conversation.id).limit(top)
    )).all()
    return [GroupActivity(group, message_count) for group, message_count in rows]
