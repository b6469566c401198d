"""A block remembers the newest message stored before it: blocks.last_message_id

Revision ID: 0027_block_last_message_id
Revises: 0026_group_deleting_at
Create Date: 2026-12-06 05:10:00

Delivered positions stop at a block at the conversation's last message sent before it
(actions.access.delivered_caps). "Before" compared the messages' `created_at` with the block's: two
servers whose clocks differ counted a message sent just after a block as before it, or one sent just
before as after. A block now stores the newest message id when it is made, read under the pair's lock
(actions.blocks), and messages up to that id are the ones before it. The blocks already there get the
newest message their `created_at` saw, which keeps every cap they had.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0027_block_last_message_id"
down_revision = "0026_group_deleting_at"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("blocks") as batch:
        batch.add_column(sa.Column("last_message_id", sa.Integer(), nullable=True))
    op.execute("UPDATE blocks SET last_message_id = COALESCE((SELECT MAX(messages.id) FROM messages "
               "WHERE messages.created_at <= blocks.created_at), 0)")
    with op.batch_alter_table("blocks") as batch:
        batch.alter_column("last_message_id", existing_type=sa.Integer(), nullable=False)


def downgrade():
    with op.batch_alter_table("blocks") as batch:
        batch.drop_column("last_message_id")
