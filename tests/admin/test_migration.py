"""Migration 0002_back_office: up and down on SQLite (batch mode) and PostgreSQL, with the
database-level append-only triggers; the back-office actions on PostgreSQL."""
from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError

from app import create_app
from config import normalize_database_url
from extensions import db

BEFORE = "5a776a4db24f"


def tables() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def round_trip() -> None:
    assert {"audit_entries", "reports"} <= tables()
    downgrade(revision=BEFORE)
    assert not {"audit_entries", "reports"} & tables()
    upgrade()
    assert {"audit_entries", "reports"} <= tables()


def assert_append_only_in_the_database() -> None:
    from actions.audit import record
    from tests.factories import make_user

    operator = make_user("migrator", role="admin")
    record(operator, "test.entry", "user", operator.id, None, {"ok": True})
    db.session.commit()
    statements = ["UPDATE audit_entries SET action = 'x'", "DELETE FROM audit_entries"]
    if db.engine.dialect.name == "postgresql":
        statements.append("TRUNCATE audit_entries")
    for statement in statements:
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.execute(text("SELECT action FROM audit_entries")).scalars().all() == ["test.entry"]


def test_sqlite_round_trip(app):
    round_trip()
    assert_append_only_in_the_database()


@pytest.fixture
def postgres_app(postgres, tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": normalize_database_url(postgres.url),
                      "WTF_CSRF_ENABLED": False, "SOCKETIO_ASYNC_MODE": "threading"},
                     environ={"SWITCHBOARD_ENV": "testing", "SOCKETIO_ASYNC_MODE": "threading",
                              "STORAGE_LOCAL_PATH": str(tmp_path / "files")})
    with app.app_context():
        upgrade()
        yield app
        db.session.rollback()
        db.session.remove()
        downgrade(revision="base")


@pytest.mark.integration
def test_postgresql_round_trip_and_triggers(postgres_app):
    round_trip()
    assert_append_only_in_the_database()


@pytest.mark.integration
def test_back_office_actions_on_postgresql(postgres_app):
    from actions.broadcasts import broadcast_to_everyone
    from actions.dashboard import dashboard
    from actions.exports import export_audit_log, export_users
    from actions.messages import send_message
    from actions.reports import report_message, resolve_report
    from tests.factories import make_group, make_user

    operator, alice, bob = make_user("operator", role="admin"), make_user("alice"), make_user("bob")
    group = make_group(alice, members=[bob])
    message = send_message(bob, group.id, "spam").message
    report = report_message(alice, message.id, "spam")
    resolve_report(operator, report.id, "sender_messages_hidden", 24)
    broadcast_to_everyone(operator, "hello")
    numbers = dashboard()
    assert numbers.messages_today == 1 and numbers.most_active_groups[0].group.id == group.id
    assert "user.deactivate" not in export_audit_log(operator, "csv").content
    assert export_users(operator, "json").content.count('"username"') == 3
