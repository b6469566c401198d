"""Direct chats whose key names someone who is not in them are read-only and lose their key

Revision ID: 0023_orphaned_direct_chats
Revises: 0022_ids_not_reused
Create Date: 2026-12-05 17:00:00

A direct chat's key (`direct_key`, "low:high") names its two users by id. Before 0022 an account
never confirmed, deleted after UNCONFIRMED_ACCOUNT_DAYS, left its direct chats behind with one member
and a key naming its id, and on SQLite the next account to register could get that id: asking for a
chat with the person left then found the old one, which the newcomer could not read, and what the
person left wrote there reached nobody (and the bzGhost gateway named the newcomer in it). From now
on the purge closes such chats itself (actions.direct.close_direct_chats_of_deleted_unchecked); this
does the same for the chats already left behind: archived (read-only: messages kept, nobody writes
to nobody) and no key, so the pair gets a chat of their own. Notices conversations ("notices:<id>")
are left as they are. Nothing to undo on the way down: the keys named no member.
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023_orphaned_direct_chats"
down_revision = "0022_ids_not_reused"
branch_labels = None
depends_on = None

conversations = sa.table("conversations", sa.column("id", sa.Integer), sa.column("kind", sa.String),
                         sa.column("direct_key", sa.String), sa.column("archived_at", sa.DateTime))
memberships = sa.table("memberships", sa.column("conversation_id", sa.Integer), sa.column("user_id", sa.Integer))


def _named(key: str) -> set[int] | None:
    low, _, high = key.partition(":")
    return {int(low), int(high)} if low.isdigit() and high.isdigit() else None


def upgrade():
    connection = op.get_bind()
    keyed = connection.execute(sa.select(conversations.c.id, conversations.c.direct_key).where(
        conversations.c.kind == "direct", conversations.c.direct_key.is_not(None))).all()
    members: dict[int, set[int]] = {}
    in_direct_chats = (sa.select(memberships.c.conversation_id, memberships.c.user_id)
                       .join(conversations, conversations.c.id == memberships.c.conversation_id)
                       .where(conversations.c.kind == "direct"))
    for conversation_id, user_id in connection.execute(in_direct_chats):
        members.setdefault(conversation_id, set()).add(user_id)
    now = datetime.now(timezone.utc).replace(tzinfo=None)  # stored times are naive UTC (models.time)
    orphaned = [conversation_id for conversation_id, key in keyed
                if (named := _named(key)) is not None and not named <= members.get(conversation_id, set())]
    for first in range(0, len(orphaned), 500):
        chunk = orphaned[first:first + 500]
        connection.execute(sa.update(conversations).where(conversations.c.id.in_(chunk)).values(direct_key=None))
        connection.execute(sa.update(conversations).where(conversations.c.id.in_(chunk),
                                                          conversations.c.archived_at.is_(None))
                           .values(archived_at=now))


def downgrade():
    pass  # the keys named no member: nothing to give back
