"""A group being deleted says so: conversations.deleting_at

Revision ID: 0026_group_deleting_at
Revises: 0025_push_token_and_language
Create Date: 2026-12-06 01:40:00

A group deleted by its owner and then by an operator (or twice by either) queued its purge job each
time: only an operator's deletion was remembered, by its audit entry. `deleting_at` is set by the first
deletion, whoever makes it; a later one finds it and queues nothing, and the group cannot be unarchived
while its job removes it. The groups an operator's deletion left under way are marked on the way up (an
owner's left no trace: at worst its purge runs twice, which it survives).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0026_group_deleting_at"
down_revision = "0025_push_token_and_language"
branch_labels = None
depends_on = None


def upgrade():
    # SQLite rebuilds the table if it must: keep its AUTOINCREMENT (0018).
    with op.batch_alter_table("conversations", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("deleting_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE conversations SET deleting_at = COALESCE(archived_at, created_at) WHERE kind = 'group' "
               "AND id IN (SELECT target_id FROM audit_entries WHERE target_type = 'group' "
               "AND action = 'group.delete')")


def downgrade():
    with op.batch_alter_table("conversations", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("deleting_at")
