"""History at scale (issue 15): reserved slot

Revision ID: 0020_history_at_scale
Revises: 0019_send_path
Create Date: 2026-12-03 00:45:00

Reserved so that parallel work keeps the chain linear; filled in by the change that needs it,
or left as a no-op.
"""

# revision identifiers, used by Alembic.
revision = "0020_history_at_scale"
down_revision = "0019_send_path"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
