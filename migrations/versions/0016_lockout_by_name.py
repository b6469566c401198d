"""Login lockout kept per submitted name, known or not

Revision ID: 0016_lockout_by_name
Revises: 0015_suspensions
Create Date: 2026-12-02 19:15:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "0016_lockout_by_name"
down_revision = "0015_suspensions"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
