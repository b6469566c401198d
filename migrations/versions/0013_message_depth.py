"""replies, mentions, reactions, delivered positions

Revision ID: 0013_message_depth
Revises: 0012_language
Create Date: 2026-12-02 15:45:00
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013_message_depth"
down_revision = "0012_language"
branch_labels = None
depends_on = None

# SQLite: batch mode rebuilds `messages` (copy, drop, rename), which drops the triggers that keep the
# message search index (0004) in step. Put them back in both directions: the way down ends on
# revisions whose code searches that index (0014 also puts them back on the way up, and rebuilds
# the index, for databases that went through this migration before it did).
FTS_TABLE = "messages_search"
SQLITE_SEARCH_TRIGGERS = [
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_insert AFTER INSERT ON messages BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, body) VALUES (new.id, new.body); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_delete AFTER DELETE ON messages BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, body) VALUES ('delete', old.id, old.body); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_update AFTER UPDATE OF body ON messages BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, body) VALUES ('delete', old.id, old.body); "
    f"INSERT INTO {FTS_TABLE}(rowid, body) VALUES (new.id, new.body); END",
]


def _restore_search_triggers():
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_SEARCH_TRIGGERS:
            op.execute(statement)


def upgrade():
    # Issue 9 B: how far each member's devices have received (acked by a client); read implies delivered.
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(sa.Column("last_delivered_seq", sa.Integer(), nullable=False, server_default="0"))
    op.execute("UPDATE memberships SET last_delivered_seq = last_read_seq")
    # Issue 9 C: replies, mentions (references by user id), reactions.
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("reply_to_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("mentions_all", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_foreign_key("fk_messages_reply_to_id_messages", "messages", ["reply_to_id"], ["id"],
                                 ondelete="SET NULL")
        batch.create_index("ix_messages_reply_to_id", ["reply_to_id"])
    _restore_search_triggers()
    op.create_table(
        "message_mentions",
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_index("ix_message_mentions_user_id", "message_mentions", ["user_id"])
    op.create_table(
        "message_reactions",
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("emoji", sa.String(length=32), primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade():
    op.drop_table("message_reactions")  # issue 9 C
    op.drop_index("ix_message_mentions_user_id", table_name="message_mentions")
    op.drop_table("message_mentions")
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ix_messages_reply_to_id")
        batch.drop_constraint("fk_messages_reply_to_id_messages", type_="foreignkey")
        batch.drop_column("mentions_all")
        batch.drop_column("reply_to_id")
    _restore_search_triggers()
    with op.batch_alter_table("memberships") as batch:  # issue 9 B
        batch.drop_column("last_delivered_seq")
