"""Migration 0008 (two_factor, recovery_codes, qr_logins) down and up, and the statements the
two-factor and QR-login actions rely on (UPDATE … RETURNING, conditional UPDATEs, FOR UPDATE),
on SQLite and on PostgreSQL."""
from __future__ import annotations

import time

import pyotp
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from actions import qr_login, two_factor
from actions.errors import ActionError
from extensions import db
from tests.database_apps import ENGINES, engine_app
from tests.factories import PASSWORD, make_user

OURS = {"two_factor", "recovery_codes", "qr_logins"}


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        yield app


def tables() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def test_migration_0008_goes_down_and_up(app):
    assert OURS <= tables()
    db.session.remove()
    downgrade(revision="0007_account_codes")
    assert not OURS & tables() and {"users", "login_sessions"} <= tables()
    upgrade()
    assert OURS <= tables()


def test_two_factor_and_qr_login_statements(app):
    alice = make_user("alice")
    secret = two_factor.start_enrolment(alice).secret
    first = pyotp.TOTP(secret).now()
    codes = two_factor.confirm_enrolment(alice, PASSWORD, first)
    db.session.commit()
    with pytest.raises(ActionError, match="used already"):
        two_factor.check_second_factor(alice, first)
    db.session.rollback()
    assert two_factor.check_second_factor(alice, pyotp.TOTP(secret).at(time.time() + 30)) == "totp"
    assert two_factor.check_second_factor(alice, codes[0]) == "recovery"
    db.session.commit()
    with pytest.raises(ActionError):
        two_factor.check_second_factor(alice, codes[0])
    db.session.rollback()

    issued = qr_login.request_qr_login("sid", qr_login.browser_key("secret"), "UA", "127.0.0.1")
    qr_login.decide_qr_login(alice, issued.token, approve=True)
    ticket = qr_login.issue_qr_ticket("sid")
    db.session.commit()
    assert qr_login.redeem_qr_ticket(ticket, qr_login.browser_key("secret")).id == alice.id
    db.session.commit()
    with pytest.raises(ActionError):
        qr_login.redeem_qr_ticket(ticket, qr_login.browser_key("secret"))
