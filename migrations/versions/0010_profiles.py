"""profiles: avatars (users and groups), status line, time zone

Revision ID: 0010_profiles
Revises: 0009_security_log
Create Date: 2026-12-02 15:45:00

Columns only, no table: an avatar is three stored images under one storage key (its sizes are
suffixes, actions.profiles), a status line and an IANA time zone name. Existing rows get no
avatar (the initials one is shown), an empty status and no time zone.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010_profiles"
down_revision = "0009_security_log"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("avatar_key", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("status_text", sa.String(length=140), nullable=False, server_default=""))
        batch.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("avatar_key", sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("avatar_key")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("time_zone")
        batch.drop_column("status_text")
        batch.drop_column("avatar_key")
