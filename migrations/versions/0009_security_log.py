"""security log and account lockout

Revision ID: 0009_security_log
Revises: 0008_two_factor
Create Date: 2026-12-02 15:20:00

Two tables of their own (no column added to another's table): the security log operators
read, and each account's failed logins and lock.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009_security_log"
down_revision = "0008_two_factor"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "security_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=254), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=255), nullable=True),
        sa.Column("detail", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_security_events_user_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_events")),
    )
    for column in ("kind", "user_id", "username", "address", "created_at"):
        op.create_index(op.f(f"ix_security_events_{column}"), "security_events", [column])
    op.create_table(
        "account_lockouts",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_account_lockouts_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_account_lockouts")),
    )


def downgrade():
    op.drop_table("account_lockouts")
    for column in ("created_at", "address", "username", "user_id", "kind"):
        op.drop_index(op.f(f"ix_security_events_{column}"), table_name="security_events")
    op.drop_table("security_events")
