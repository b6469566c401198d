"""actions/codes.py on SQLite and on PostgreSQL: a refused attempt stays counted though its request
rolls back, and concurrent guesses never pass CODE_MAX_ATTEMPTS (the attempt is counted, for good,
before the comparison); migration 0007 goes down and up."""
from __future__ import annotations

import logging
import re
import threading

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from actions.accounts import register_user
from actions.codes import ask_for_code, send_account_code
from extensions import db
from models.account_code import AccountCode
from tests.database_apps import ENGINES, engine_app
from tests.factories import PASSWORD

GUESSERS = 10


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        yield app


def pending_account(caplog) -> tuple[int, str]:
    """dave, registered with an address whose code was sent: (the code's row id, the code)."""
    dave = register_user("dave", PASSWORD, confirmed=False)
    row = ask_for_code(dave, "confirm", "email", "dave@example.org")
    db.session.commit()
    with caplog.at_level(logging.INFO, logger="notify.console"):
        send_account_code(row.id, row.sends)
    return row.id, re.search(r"code is ([0-9]{6})", caplog.text).group(1)


def attempts(row_id: int) -> int:
    db.session.expire_all()
    return db.session.get(AccountCode, row_id).attempts


def confirm(client, code: str) -> str:
    response = client.post("/api/accounts/confirm", json={"username": "dave", "password": PASSWORD, "code": code})
    return "confirmed" if response.status_code == 200 else response.get_json()["error"]["code"]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_refused_attempts_stay_counted(app, caplog):
    row_id, code = pending_account(caplog)
    client = app.test_client()
    assert [confirm(client, wrong(code)) for _ in range(5)] == ["wrong_code"] * 5
    assert attempts(row_id) == 5
    assert confirm(client, code) == "code_exhausted"


def test_concurrent_guesses_never_pass_the_bound(app, caplog):
    app.config["PASSWORD_HASH_WAITING"] = GUESSERS  # every guesser's password is checked, none refused as busy
    row_id, code = pending_account(caplog)
    answers: list[str] = []
    start = threading.Barrier(GUESSERS)

    def guess() -> None:
        with app.app_context():  # each guesser a browser of its own, its own database session
            client = app.test_client()
            start.wait()
            answers.append(confirm(client, wrong(code)))

    threads = [threading.Thread(target=guess) for _ in range(GUESSERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == ["code_exhausted"] * (GUESSERS - 5) + ["wrong_code"] * 5
    assert attempts(row_id) == 5
    assert confirm(app.test_client(), code) == "code_exhausted"


def test_migration_0007_goes_down_and_up(app):
    ours = {"account_codes", "invites"}
    assert ours <= set(inspect(db.engine).get_table_names())
    db.session.remove()
    downgrade(revision="0006_login_sessions")
    assert not ours & set(inspect(db.engine).get_table_names())
    assert "confirmed_at" not in {column["name"] for column in inspect(db.engine).get_columns("users")}
    upgrade()
    assert ours <= set(inspect(db.engine).get_table_names())
    assert {"confirmed_at", "email_confirmed_at", "phone_confirmed_at"} <= {
        column["name"] for column in inspect(db.engine).get_columns("users")}
