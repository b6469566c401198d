"""migrations/versions/0006_login_sessions.py: up and down on SQLite and PostgreSQL, with a token that
never expires (down gives it the longest life a token had before) and a login session (dropped)."""
from __future__ import annotations

from datetime import datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from extensions import db
from tests.database_apps import app_on, postgres_database


def round_trip() -> None:
    """From 0006 down to 0005 and up again (at 0006 itself: later migrations add columns the models know)."""
    downgrade(revision="0006_login_sessions")
    now = datetime(2026, 12, 1, 12, 0, 0)
    db.session.execute(text("INSERT INTO users (id, username, display_name, password_hash, active, role, "
                            "must_change_password, created_at) VALUES (1, 'alice', 'Alice', 'x', true, 'user', false, "
                            ":now)"), {"now": now})
    db.session.execute(text("INSERT INTO api_tokens (id, user_id, token_hash, name, created_at, expires_at) "
                            "VALUES (1, 1, :hash, 'forever', :now, NULL)"), {"hash": "f" * 64, "now": now})
    db.session.execute(text("INSERT INTO login_sessions (id, user_id, method, created_at, last_seen_at, device) "
                            "VALUES ('abc', 1, 'password', :now, :now, 'curl')"), {"now": now})
    db.session.commit()
    db.session.remove()
    downgrade(revision="0005_job_failures")
    assert "login_sessions" not in inspect(db.engine).get_table_names()
    expires = db.session.execute(text("SELECT expires_at FROM api_tokens WHERE id = 1")).scalar_one()
    assert (expires if isinstance(expires, datetime) else datetime.fromisoformat(expires)) == datetime(2027, 12, 1, 12)
    assert not next(column for column in inspect(db.engine).get_columns("api_tokens")
                    if column["name"] == "expires_at")["nullable"]
    db.session.remove()
    upgrade()
    assert "login_sessions" in inspect(db.engine).get_table_names()


def test_sqlite_round_trip(app):
    round_trip()


@pytest.mark.integration
def test_postgresql_round_trip(tmp_path, postgres):
    with postgres_database(postgres) as url, app_on(url, tmp_path):
        round_trip()
