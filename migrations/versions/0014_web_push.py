"""Web Push subscriptions and notification settings

Revision ID: 0014_web_push
Revises: 0013_message_depth
Create Date: 2026-12-02 15:45:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401


# revision identifiers, used by Alembic.
revision = "0014_web_push"
down_revision = "0013_message_depth"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
