"""contacts, contact requests, blocks and privacy settings

Revision ID: 0011_contacts
Revises: 0010_profiles
Create Date: 2026-12-02 15:45:00

Tables of their own (no column added to users): models/contact.py.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_contacts"
down_revision = "0010_profiles"
branch_labels = None
depends_on = None


def _user(column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete="CASCADE")


def upgrade():
    op.create_table(
        "contact_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _user("requester_id", "contact_requests"),
        _user("recipient_id", "contact_requests"),
        sa.CheckConstraint("requester_id <> recipient_id", name=op.f("ck_contact_requests_not_to_self")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_requests")),
        sa.UniqueConstraint("requester_id", "recipient_id", name="uq_contact_requests_pair"),
    )
    op.create_index(op.f("ix_contact_requests_recipient_id"), "contact_requests", ["recipient_id"])
    op.create_table(
        "contacts",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _user("user_id", "contacts"),
        _user("contact_id", "contacts"),
        sa.PrimaryKeyConstraint("user_id", "contact_id", name=op.f("pk_contacts")),
    )
    op.create_index(op.f("ix_contacts_contact_id"), "contacts", ["contact_id"])
    op.create_table(
        "blocks",
        sa.Column("blocker_id", sa.Integer(), nullable=False),
        sa.Column("blocked_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _user("blocker_id", "blocks"),
        _user("blocked_id", "blocks"),
        sa.PrimaryKeyConstraint("blocker_id", "blocked_id", name=op.f("pk_blocks")),
    )
    op.create_index(op.f("ix_blocks_blocked_id"), "blocks", ["blocked_id"])
    op.create_table(
        "privacy_settings",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("direct_chats", sa.String(length=16), nullable=False),
        sa.Column("last_seen", sa.String(length=16), nullable=False),
        sa.Column("read_receipts", sa.String(length=16), nullable=False),
        _user("user_id", "privacy_settings"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_privacy_settings")),
    )


def downgrade():
    op.drop_table("privacy_settings")
    op.drop_index(op.f("ix_blocks_blocked_id"), table_name="blocks")
    op.drop_table("blocks")
    op.drop_index(op.f("ix_contacts_contact_id"), table_name="contacts")
    op.drop_table("contacts")
    op.drop_index(op.f("ix_contact_requests_recipient_id"), table_name="contact_requests")
    op.drop_table("contact_requests")
