"""login sessions: one row per login (device, address, how), remember tokens per session

Revision ID: 0006_login_sessions
Revises: 0005_job_failures
Create Date: 2026-12-02 15:20:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401


# revision identifiers, used by Alembic.
revision = "0006_login_sessions"
down_revision = "0005_job_failures"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
