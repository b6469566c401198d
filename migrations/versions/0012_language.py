"""the interface language a user chose

Revision ID: 0012_language
Revises: 0011_contacts
Create Date: 2026-12-02 15:45:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401


# revision identifiers, used by Alembic.
revision = "0012_language"
down_revision = "0011_contacts"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
