"""security log and account lockout

Revision ID: 0009_security_log
Revises: 0008_two_factor
Create Date: 2026-12-02 15:20:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401


# revision identifiers, used by Alembic.
revision = "0009_security_log"
down_revision = "0008_two_factor"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
