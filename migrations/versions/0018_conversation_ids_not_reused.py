"""Conversation ids are never given twice on SQLite (AUTOINCREMENT)

Revision ID: 0018_conversation_ids_not_reused
Revises: 0017_group_management
Create Date: 2026-12-02 21:25:00

Without AUTOINCREMENT SQLite gives the next row the largest id + 1, so a deleted group's id went
to the next conversation: the same id then named two conversations for the pages' drafts and
unsent messages (kept by conversation id) and for the delivery order each process keeps per
conversation, which dropped the new one's first revisions as already delivered. PostgreSQL's
sequences never reuse an id: nothing to do there.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018_conversation_ids_not_reused"
down_revision = "0017_group_management"
branch_labels = None
depends_on = None


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # migrations/env.py runs SQLite migrations with foreign keys off and checks them afterwards, so
    # rebuilding the table keeps every message, membership and attachment that points at it.
    with op.batch_alter_table("conversations", recreate="always",
                              table_kwargs={"sqlite_autoincrement": autoincrement}):
        pass


def upgrade():
    _rebuild(True)


def downgrade():
    _rebuild(False)
