"""account codes: verification and password-reset codes, confirmed email/phone

Revision ID: 0007_account_codes
Revises: 0006_login_sessions
Create Date: 2026-12-02 15:20:00
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401


# revision identifiers, used by Alembic.
revision = "0007_account_codes"
down_revision = "0006_login_sessions"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
