"""Contact request ids are never given twice on SQLite (AUTOINCREMENT)

Revision ID: 0021_request_ids_not_reused
Revises: 0020_history_at_scale
Create Date: 2026-12-05 01:20:00

A declined or cancelled request is deleted, and without AUTOINCREMENT SQLite gives the next row the
largest id + 1: the newest request's id, once it was declined, went to the next request, so the same
`request_id` named two requests for a client that keeps them by id (`contact:request_closed` of the
first, then `contact:request` of the second). As 0018 did for conversations; PostgreSQL's sequences
never reuse an id.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021_request_ids_not_reused"
down_revision = "0020_history_at_scale"
branch_labels = None
depends_on = None


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # migrations/env.py runs SQLite migrations with foreign keys off and checks them afterwards.
    with op.batch_alter_table("contact_requests", recreate="always",
                              table_kwargs={"sqlite_autoincrement": autoincrement}):
        pass


def upgrade():
    _rebuild(True)


def downgrade():
    _rebuild(False)
