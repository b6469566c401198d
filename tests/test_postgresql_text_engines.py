"""What PostgreSQL refuses where SQLite does not, reached from what clients send: a NUL in a name or a
user agent (PostgreSQL stores and compares no NUL), a statement past one of its limits (a fault, never
`unavailable`, which tells the client to retry). Answered, never a 500, on both engines."""
from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import exc, text

from actions.errors import ActionError
from actions.sessions import start_session
from actions.user_admin import get_account_by_username
from extensions import db
from models import LoginSession
from models.database import is_unavailable
from tests.database_apps import ENGINES, engine_app


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        yield app


def test_a_username_with_a_nul_names_nobody(alice):
    with pytest.raises(ActionError) as refused:
        get_account_by_username("ali\x00ce")
    assert refused.value.code == "user_not_found"
    assert get_account_by_username(" Alice ").id == alice.id


def test_a_user_agent_with_control_characters_is_stored_readable(alice):
    started = start_session(alice, "password", "127.0.0.1", "Agent\x00/1.0\tX")
    db.session.commit()
    stored = db.session.get(LoginSession, started.login_session.id)
    assert stored.user_agent == "Agent\N{REPLACEMENT CHARACTER}/1.0 X"


@pytest.mark.integration
@pytest.mark.parametrize("app", ["postgresql"], indirect=True)
def test_a_statement_past_a_limit_of_the_server_is_a_fault_not_an_outage(app):
    with pytest.raises(exc.OperationalError) as failed:
        db.session.execute(text("SELECT repeat('a', 1073741824)"))
    assert failed.value.orig.sqlstate.startswith("54")
    assert not is_unavailable(failed.value)


@pytest.mark.parametrize(("error", "retry"), [
    (psycopg.errors.DeadlockDetected, True), (psycopg.errors.LockNotAvailable, True),
    (psycopg.errors.TooManyConnections, True), (psycopg.errors.AdminShutdown, True),
    (psycopg.errors.ProgramLimitExceeded, False),
])
def test_which_postgresql_failures_are_worth_a_retry(error, retry):
    assert is_unavailable(exc.OperationalError("SELECT 1", {}, error("from the server"))) is retry
