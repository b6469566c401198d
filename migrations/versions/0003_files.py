"""files: a file is sent in at most one message (unique index on messages.attachment_id)

Revision ID: 0003_files
Revises: 0002_back_office
Create Date: 2026-11-23 12:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0003_files"
down_revision = "0002_back_office"
branch_labels = None
depends_on = None


def upgrade():
    # An index, not a table constraint: no table rebuild on SQLite. NULLs (no file) stay unlimited.
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_attachment_id", ["attachment_id"], unique=True)


def downgrade():
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_attachment_id")
