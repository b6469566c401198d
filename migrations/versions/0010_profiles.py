"""profiles: avatars (users and groups), status line, time zone

Revision ID: 0010_profiles
Revises: 0009_security_log
Create Date: 2026-12-02 15:45:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401


# revision identifiers, used by Alembic.
revision = "0010_profiles"
down_revision = "0009_security_log"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
