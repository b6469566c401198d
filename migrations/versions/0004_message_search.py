"""message search: an FTS5 trigram index (SQLite) or a pg_trgm GIN index (PostgreSQL) on messages.body

Revision ID: 0004_message_search
Revises: 0003_files
Create Date: 2026-11-24 10:00:00

Both serve the same search (actions.search): case-insensitive substrings, which also works for
Chinese, written without spaces. Existing messages are indexed here.

SQLite: `messages_search` is an external-content FTS5 table (it stores only the index; the text
stays in `messages`), kept in sync by three triggers on `messages`. A later migration that
rebuilds `messages` on SQLite (batch mode "recreate": copy, drop, rename) drops these triggers
with the old table: it must create them again and run 'rebuild'.

PostgreSQL: pg_trgm is a trusted extension (PostgreSQL >= 13): the database owner may create it.
The downgrade leaves the extension installed: it may predate this migration or serve others.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0004_message_search"
down_revision = "0003_files"
branch_labels = None
depends_on = None

FTS_TABLE = "messages_search"
TRIGRAM_INDEX = "ix_messages_body_trgm"

SQLITE_UPGRADE = [
    # trigram: substring search in any language; unicode61 would see "你好世界" as one word.
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
    "body, content='messages', content_rowid='id', tokenize='trigram')",
    # An external-content index must be told the old text to forget it: the triggers pass it.
    f"CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON messages BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, body) VALUES (new.id, new.body); END",
    f"CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON messages BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, body) VALUES ('delete', old.id, old.body); END",
    f"CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE OF body ON messages BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, body) VALUES ('delete', old.id, old.body); "
    f"INSERT INTO {FTS_TABLE}(rowid, body) VALUES (new.id, new.body); END",
    # Index the messages stored before this migration.
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
]

SQLITE_DOWNGRADE = [
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_update",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_delete",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_insert",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",  # drops its shadow tables too
]

POSTGRESQL_UPGRADE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # Serves body ILIKE '%term%' for terms of 3 or more characters (building it indexes existing rows).
    f"CREATE INDEX {TRIGRAM_INDEX} ON messages USING gin (body gin_trgm_ops)",
]

POSTGRESQL_DOWNGRADE = [f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}"]


def upgrade():
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_UPGRADE, "postgresql": POSTGRESQL_UPGRADE}.get(dialect, []):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_DOWNGRADE, "postgresql": POSTGRESQL_DOWNGRADE}.get(dialect, []):
        op.execute(statement)
