"""Migration 0016: the lockout of each account (account_lockouts, by user id) moves to its
username's login name (login_lockouts, by the hashed name), and back on the way down."""
from __future__ import annotations

from datetime import datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from actions.lockout import login_name_key
from extensions import db
from tests.factories import make_user

LOCKED_UNTIL = datetime(2030, 1, 2, 3, 4, 5)


def test_an_account_lock_moves_to_its_username_and_back(app):
    alice = make_user("alice")
    make_user("bob")
    db.session.execute(text("INSERT INTO login_lockouts (name_key, failures, level, locked_until, last_failure_at) "
                            "VALUES (:alice, 0, 2, :until, :until), (:nobody, 4, 0, NULL, :until)"),
                       {"alice": login_name_key("alice"), "nobody": login_name_key("nobody"), "until": LOCKED_UNTIL})
    db.session.commit()
    alice_id = alice.id
    db.session.remove()

    downgrade(revision="0015_suspensions")
    rows = db.session.execute(text("SELECT user_id, failures, level, locked_until FROM account_lockouts")).all()
    assert [(row[0], row[1], row[2]) for row in rows] == [(alice_id, 0, 2)]  # a name no account has is dropped
    assert str(rows[0][3]).startswith("2030-01-02 03:04:05")
    db.session.remove()
    upgrade()

    rows = db.session.execute(text("SELECT name_key, failures, level, locked_until FROM login_lockouts")).all()
    assert [(row[0], row[1], row[2]) for row in rows] == [(login_name_key("alice"), 0, 2)]
    assert str(rows[0][3]).startswith("2030-01-02 03:04:05")
