"""Timed suspensions of accounts with a reason (back office)

Revision ID: 0015_suspensions
Revises: 0014_web_push
Create Date: 2026-12-02 19:15:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = "0015_suspensions"
down_revision = "0014_web_push"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
