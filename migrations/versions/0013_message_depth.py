"""replies, mentions, reactions, delivered positions

Revision ID: 0013_message_depth
Revises: 0012_language
Create Date: 2026-12-02 15:45:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401


# revision identifiers, used by Alembic.
revision = "0013_message_depth"
down_revision = "0012_language"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
