"""Migrations going down and up again on SQLite and PostgreSQL keep every row: batch mode rebuilds tables such
as `users` (copy, drop, rename), and with foreign keys on, dropping one would cascade to the rows
that reference it (migrations/env.py turns them off for the run, then checks them)."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from actions.accounts import issue_api_token
from actions.groups import create_group
from actions.messages import send_message
from extensions import db
from models.search_index import include_name
from tests.database_apps import ENGINES, engine_app
from tests.factories import make_user

BELOW_THE_ACCOUNTS_WORK = "0005_job_failures"  # 0006… rebuild `users` on the way down
COUNTED = ["users", "api_tokens", "conversations", "memberships", "messages"]


def counts() -> dict[str, int]:
    return {table: db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() for table in COUNTED}


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        yield app


def test_going_down_and_up_keeps_users_and_what_references_them(app):
    alice, bob = make_user("alice"), make_user("bob")
    issue_api_token(alice, "laptop")
    group = create_group(alice, "Kept", member_ids=[bob.id])
    send_message(alice, group.id, "still here", client_id="kept-1")
    db.session.commit()
    before = counts()
    assert all(before.values())
    db.session.remove()

    downgrade(revision=BELOW_THE_ACCOUNTS_WORK)
    assert counts() == before
    db.session.remove()
    upgrade()

    assert counts() == before
    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar_one() == 1


def test_the_migrations_build_the_models_schema_on_both_engines(app):
    # tests/test_models.py compares on SQLite; PostgreSQL's own types, defaults and indexes too.
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": include_name})
        assert compare_metadata(context, db.metadata) == []


def test_every_revision_id_fits_alembic_version():
    # alembic_version.version_num is VARCHAR(32): PostgreSQL refuses a longer id when it is stamped,
    # SQLite does not (a 35-character id passed every SQLite test).
    import re
    from pathlib import Path

    versions = Path(__file__).resolve().parent.parent / "migrations" / "versions"
    ids = [re.search(r'^revision = ["\'](.+?)["\']', path.read_text(), re.MULTILINE).group(1)
           for path in versions.glob("*.py")]
    assert ids and [revision for revision in ids if len(revision) > 32] == []


SEARCH_TRIGGERS = {"messages_search_insert", "messages_search_delete", "messages_search_update"}
SEARCH_INDEX_MADE = "0004_message_search"


def revisions_from_search_index_to_head() -> list[str]:
    from pathlib import Path

    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(Path(__file__).resolve().parent.parent / "migrations"))
    walked = [revision.revision for revision in script.walk_revisions()]  # head first
    return walked[:walked.index(SEARCH_INDEX_MADE) + 1]


def search_triggers() -> set[str]:
    names = db.session.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
    found = {name for name in names if name.startswith("messages_search")}
    db.session.remove()
    return found


@pytest.fixture(params=["sqlite"])
def sqlite_app(request, tmp_path):
    """SQLite only: the triggers of an FTS5 table are SQLite's (PostgreSQL's trigram index is an index)."""
    with engine_app(request, tmp_path) as app:
        yield app


def test_the_search_index_follows_the_messages_at_every_revision_down_and_up(sqlite_app):
    # Batch mode rebuilds `messages` on SQLite, which drops the triggers that keep the message search
    # index (0004) in step: a migration that rebuilds it must put them back, on the way down too, or
    # the code of that revision searches an index that no longer follows new, edited or removed messages.
    revisions = revisions_from_search_index_to_head()
    db.session.remove()
    missing = {}
    for revision in revisions[1:]:  # one step down at a time, to 0004
        downgrade(revision=revision)
        if search_triggers() != SEARCH_TRIGGERS:
            missing[f"down to {revision}"] = SEARCH_TRIGGERS - search_triggers()
    for revision in reversed(revisions[:-1]):  # and up again, one step at a time
        upgrade(revision=revision)
        if search_triggers() != SEARCH_TRIGGERS:
            missing[f"up to {revision}"] = SEARCH_TRIGGERS - search_triggers()
    assert missing == {}
