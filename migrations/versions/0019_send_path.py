"""Send path (issue 15): reserved slot

Revision ID: 0019_send_path
Revises: 0018_conversation_ids_not_reused
Create Date: 2026-12-03 00:45:00

Reserved so that parallel work keeps the chain linear; filled in by the change that needs it,
or left as a no-op.
"""

# revision identifiers, used by Alembic.
revision = "0019_send_path"
down_revision = "0018_conversation_ids_not_reused"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
