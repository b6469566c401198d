"""Migration 0008 (two_factor, recovery_codes, qr_logins) down and up, migration 0028 (the secret stored
sealed) down and up with the secrets it finds, and the statements the two-factor and QR-login actions rely on
(UPDATE … RETURNING, conditional UPDATEs, FOR UPDATE), on SQLite and on PostgreSQL."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pyotp
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from actions import qr_login, sealed_secrets, two_factor
from actions.errors import ActionError
from extensions import db
from models.time import utcnow
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


SEALED = "0028_two_factor_secret_sealed"


def below_sealed() -> str:
    """The revision 0028 goes down to (read from the script, as the chain may grow below it)."""
    from pathlib import Path

    from alembic.script import ScriptDirectory

    migrations = Path(__file__).resolve().parent.parent / "migrations"
    return ScriptDirectory(str(migrations)).get_revision(SEALED).down_revision


def secret_width() -> int | None:
    return next(column["type"].length for column in inspect(db.engine).get_columns("two_factor")
                if column["name"] == "secret")


def stored_secret(user_id: int) -> str:
    found = db.session.execute(text("SELECT secret FROM two_factor WHERE user_id = :id"), {"id": user_id}).scalar_one()
    db.session.remove()
    return found


def test_migration_0028_widens_the_secret_and_goes_down_only_with_plain_secrets(app, capfd):
    alice = make_user("alice")
    secret = two_factor.start_enrolment(alice).secret
    two_factor.confirm_enrolment(alice, PASSWORD, pyotp.TOTP(secret).at(time.time() - 30))
    db.session.commit()
    alice_id = alice.id
    assert stored_secret(alice_id).startswith("gAAAAA") and secret_width() == 255

    with pytest.raises(SystemExit):  # flask db downgrade: "Error: …", exit status 1
        downgrade(revision=below_sealed())  # the older code could not read it: refused, nothing changed
    assert "run `flask seal-two-factor-secrets --unseal` first" in capfd.readouterr().err
    db.session.remove()
    assert secret_width() == 255 and stored_secret(alice_id) != secret
    assert two_factor.reseal_secrets(unseal_them=True).written == 1
    db.session.commit()

    downgrade(revision=below_sealed())
    assert stored_secret(alice_id) == secret
    if db.engine.dialect.name == "postgresql":  # SQLite's VARCHAR has no length to check
        assert secret_width() == 64
    upgrade()

    assert secret_width() == 255 and stored_secret(alice_id) == secret  # a plain secret from before: kept
    alice = db.session.get(type(alice), alice_id)
    assert two_factor.check_second_factor(alice, pyotp.TOTP(secret).now()) == "totp"
    db.session.commit()
    assert stored_secret(alice_id).startswith("gAAAAA")  # sealed by its first accepted code



@pytest.mark.parametrize("change", ["started again", "turned off"])
def test_the_command_leaves_a_row_changed_while_it_ran_as_it_was_changed(app, monkeypatch, change):
    """`flask seal-two-factor-secrets` runs beside the live service (docs/deployment.md): a row changed after
    it read the rows is not written with the secret it read before. It wrote it back by the account's id:
    two-factor turned off and started again with a new secret got the old one back (the code of the app just
    scanned refused), and a row deleted meanwhile (turned off) failed the whole command (StaleDataError)."""
    alice, bob = make_user("alice"), make_user("bob")
    db.session.commit()
    alice_id, bob_id = alice.id, bob.id
    old_secret, new_secret = pyotp.random_base32(), pyotp.random_base32()
    for user_id in (alice_id, bob_id):  # stored plain, as before migration 0028: the command seals them
        db.session.execute(text("INSERT INTO two_factor (user_id, secret, created_at, enabled_at) "
                                "VALUES (:id, :secret, :now, :now)"),
                           {"id": user_id, "secret": old_secret, "now": utcnow()})
    db.session.commit()
    new_row = sealed_secrets.seal(new_secret)
    real_seal, changed = two_factor.seal, []

    def seal_while_alice_changes_it(secret: str) -> str:
        if not changed:  # the rows are read: alice turns it off (and starts again), in her own transaction
            changed.append(True)
            with db.engine.begin() as other:
                other.execute(text("DELETE FROM two_factor WHERE user_id = :id"), {"id": alice_id})
                if change == "started again":
                    other.execute(text("INSERT INTO two_factor (user_id, secret, created_at) VALUES (:id, :s, :now)"),
                                  {"id": alice_id, "s": new_row, "now": utcnow()})
        return real_seal(secret)

    monkeypatch.setattr(two_factor, "seal", seal_while_alice_changes_it)
    two_factor.reseal_secrets()
    db.session.commit()
    if change == "started again":
        assert sealed_secrets.unseal(stored_secret(alice_id)).secret == new_secret
    else:
        assert db.session.execute(text("SELECT count(*) FROM two_factor WHERE user_id = :id"),
                                  {"id": alice_id}).scalar_one() == 0
    assert sealed_secrets.unseal(stored_secret(bob_id)) == sealed_secrets.Unsealed(old_secret, stale=False)


def test_the_documented_count_of_plain_secrets_counts_them_and_the_command_leaves_none(app):
    """docs/security.md's query, for an operator who checks without writing that no secret stored before migration
    0028 is left plain, counts the plain ones and no sealed one, on either engine: a base32 secret that begins
    GAAAAA too (SQLite's LIKE would take it for a token, ignoring case); after `flask seal-two-factor-secrets`
    (reseal_secrets) it counts none."""
    documented = (Path(__file__).resolve().parent.parent / "docs" / "security.md").read_text()
    query = re.search(r"`(SELECT count\(\*\) FROM two_factor [^`]*)`", documented).group(1)
    stored = ["GAAAAA" + pyotp.random_base32()[6:], pyotp.random_base32(), sealed_secrets.seal(pyotp.random_base32())]
    for user, secret in zip([make_user(name) for name in ("alice", "bob", "carol")], stored, strict=True):
        db.session.execute(text("INSERT INTO two_factor (user_id, secret, created_at, enabled_at) VALUES "
                                "(:id, :secret, :now, :now)"), {"id": user.id, "secret": secret, "now": utcnow()})
    db.session.commit()
    assert db.session.execute(text(query)).scalar_one() == 2
    assert two_factor.reseal_secrets().written == 2
    db.session.commit()
    assert db.session.execute(text(query)).scalar_one() == 0
