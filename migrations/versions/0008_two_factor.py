"""two-factor (TOTP, recovery codes) and QR-code login

Revision ID: 0008_two_factor
Revises: 0007_account_codes
Create Date: 2026-12-02 15:20:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401


# revision identifiers, used by Alembic.
revision = "0008_two_factor"
down_revision = "0007_account_codes"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
