"""History at scale (issue 15): a partial index of removed messages, for unread counts

Revision ID: 0020_history_at_scale
Revises: 0019_send_path
Create Date: 2026-12-03 00:45:00

A member's unread count was a count of every message after their read position: 1,000,000 rows
read for someone far behind in a busy group. It is now the distance between the read position and
the conversation's last seq (seqs have no gaps) less the removed messages in between, which this
index holds alone: few rows, and none written when a message is sent. A plain CREATE INDEX: no
table rebuild, so SQLite keeps the search triggers (see 0014).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020_history_at_scale"
down_revision = "0019_send_path"
branch_labels = None
depends_on = None

REMOVED = "deleted_at IS NOT NULL OR hidden_at IS NOT NULL"  # as models/message.py says it


def upgrade() -> None:
    op.create_index("ix_messages_removed", "messages", ["conversation_id", "seq"], unique=False,
                    sqlite_where=sa.text(REMOVED), postgresql_where=sa.text(REMOVED))


def downgrade() -> None:
    op.drop_index("ix_messages_removed", table_name="messages")
