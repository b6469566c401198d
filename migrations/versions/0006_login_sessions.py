"""login sessions: one row per login (device, address, how), remember tokens per session

Revision ID: 0006_login_sessions
Revises: 0005_job_failures
Create Date: 2026-12-02 15:20:00

Also: personal API tokens may never expire (expires_at NULL), as their owner chooses on the
settings page.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006_login_sessions"
down_revision = "0005_job_failures"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "login_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("device", sa.String(length=128), nullable=False),
        sa.Column("remember_hash", sa.String(length=64), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("ended_reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_login_sessions_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_sessions")),
        sa.UniqueConstraint("remember_hash", name=op.f("uq_login_sessions_remember_hash")),
    )
    op.create_index("ix_login_sessions_user_id_ended_at", "login_sessions", ["user_id", "ended_at"])
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("expires_at", existing_type=sa.DateTime(), nullable=True)


def downgrade():
    # Tokens that never expire get the longest life a token could be given before.
    op.execute("UPDATE api_tokens SET expires_at = created_at + interval '365 days' WHERE expires_at IS NULL"
               if op.get_bind().dialect.name == "postgresql" else
               "UPDATE api_tokens SET expires_at = datetime(created_at, '+365 days') WHERE expires_at IS NULL")
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("expires_at", existing_type=sa.DateTime(), nullable=False)
    op.drop_index("ix_login_sessions_user_id_ended_at", table_name="login_sessions")
    op.drop_table("login_sessions")
