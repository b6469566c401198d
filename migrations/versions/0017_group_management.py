"""Group management in the chat page

Revision ID: 0017_group_management
Revises: 0016_lockout_by_name
Create Date: 2026-12-02 19:15:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "0017_group_management"
down_revision = "0016_lockout_by_name"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
