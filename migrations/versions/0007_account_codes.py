"""account codes: verification and password-reset codes, confirmed email/phone

Revision ID: 0007_account_codes
Revises: 0006_login_sessions
Create Date: 2026-12-02 15:20:00

Accounts that existed before are confirmed (they were usable); their email and phone, never
checked, are not marked confirmed, so no reset code goes to an address nobody proved to own.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007_account_codes"
down_revision = "0006_login_sessions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("email_confirmed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("phone_confirmed_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE users SET confirmed_at = created_at")
    op.create_table(
        "account_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.Column("next_send_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_account_codes_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_codes")),
        sa.UniqueConstraint("user_id", "purpose", name="uq_account_codes_user_purpose"),
    )
    op.create_index("ix_account_codes_address", "account_codes", ["address"])
    op.create_table(
        "invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=120), nullable=False),
        sa.Column("uses_left", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_invites_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invites")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_invites_code_hash")),
    )


def downgrade():
    op.drop_table("invites")
    op.drop_index("ix_account_codes_address", table_name="account_codes")
    op.drop_table("account_codes")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("phone_confirmed_at")
        batch_op.drop_column("email_confirmed_at")
        batch_op.drop_column("confirmed_at")
