"""contacts, contact requests, blocks and privacy settings

Revision ID: 0011_contacts
Revises: 0010_profiles
Create Date: 2026-12-02 15:45:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401


# revision identifiers, used by Alembic.
revision = "0011_contacts"
down_revision = "0010_profiles"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
