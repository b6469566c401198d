"""Group management in the chat page: membership notes (system messages) carry what happened

Revision ID: 0017_group_management
Revises: 0016_lockout_by_name
Create Date: 2026-12-02 19:15:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017_group_management"
down_revision = "0016_lockout_by_name"
branch_labels = None
depends_on = None


# A plain ADD COLUMN (no batch): SQLite keeps the table and its search triggers (see 0014).
def upgrade():
    op.add_column("messages", sa.Column("system_event", sa.Text(), nullable=True))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE messages DROP COLUMN system_event")  # SQLite 3.35+: no rebuild either
    else:
        op.drop_column("messages", "system_event")
