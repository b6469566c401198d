"""Timed suspensions of accounts with a reason (back office)

Revision ID: 0015_suspensions
Revises: 0014_web_push
Create Date: 2026-12-02 19:15:00

Columns only: users.suspended_until (the account opens again at the first login after it) and
users.suspension_reason (shown to its owner). Existing accounts are not suspended (both NULL); a
deactivated one stays deactivated for good. Going up, SQLite too adds them in place (batch mode
only rebuilds a table for what ALTER cannot do); going down, it rebuilds `users`. `messages` is
never touched: the message search triggers stay.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015_suspensions"
down_revision = "0014_web_push"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("suspended_until", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("suspension_reason", sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("suspension_reason")
        batch.drop_column("suspended_until")
