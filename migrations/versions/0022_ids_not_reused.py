"""User, message, file, report, push subscription and job failure ids are never given twice on SQLite

Revision ID: 0022_ids_not_reused
Revises: 0021_request_ids_not_reused
Create Date: 2026-12-05 13:00:00

Without AUTOINCREMENT SQLite gives the next row the largest id + 1, so the newest row's id, once
deleted, went to the next one. These rows are deleted and their ids are kept outside them:
- an account never confirmed is deleted after UNCONFIRMED_ACCOUNT_DAYS, but others found it and
  wrote to it: the direct chat's key names it by id (`direct_key`), so the next account to register
  got its id and that chat, without being a member of it (its messages reached nobody, and it could
  never write to the other person); membership notes and audit entries name it by id too;
- messages, their files and their reports go with a deleted group (purge_deleted_group): a push
  job still queued for a message (send_message_push(subscription, message)) then pushed the next
  message stored anywhere, to a member it was never meant for (its own sender); clients keep
  `message.id`, `/files/<id>` and report ids, and audit entries name them;
- a push subscription is deleted when its browser unsubscribes or the push service says it is
  gone: queued push jobs for it then reached the next browser to subscribe, someone else's;
- a job failure is deleted when an operator dismisses it: its audit entries (`job.dismiss`) and
  an operator's page still open on it then named the next failure (Run again, Dismiss).
As 0018 and 0021 did; PostgreSQL's sequences never reuse an id.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022_ids_not_reused"
down_revision = "0021_request_ids_not_reused"
branch_labels = None
depends_on = None

TABLES = ("users", "attachments", "messages", "reports", "push_subscriptions", "job_failures")

# Rebuilding `messages` drops its triggers, which keep the message search index (0004) in step:
# put them back (as 0014 does). The rows keep their ids, so the index itself stays right.
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


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # migrations/env.py runs SQLite migrations with foreign keys off and checks them afterwards, so
    # rebuilding a table keeps every row that points at it (memberships, mentions, replies, reports…).
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass
    for statement in SQLITE_SEARCH_TRIGGERS:
        op.execute(statement)


def upgrade():
    _rebuild(True)


def downgrade():
    _rebuild(False)
