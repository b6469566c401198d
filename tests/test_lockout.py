"""actions/lockout.py through the login page and POST /api/tokens: an account locks after
LOCKOUT_FAILURES wrong passwords in a row, each next lock twice as long up to a cap; a lock is
not extended by attempts during it, ends by itself, spares a browser its owner logged in from,
and an operator can lift it (audited). Unknown names are hashed like known ones. The security
log has a row for each of these. Times move by rewriting the lock, never by sleeping."""
from datetime import timedelta

import pytest

import models.user
from actions.lockout import lift_lockout, lockout_state
from extensions import db
from models import AccountLockout, SecurityEvent
from models.time import utcnow
from tests.admin.conftest import audit_entries, logged_in
from tests.factories import PASSWORD
from tests.helpers import error_of

LOCKING = {"LOCKOUT_FAILURES": 3, "LOCKOUT_SECONDS": 60, "LOCKOUT_MAX_SECONDS": 150,
           "LOGIN_ATTEMPTS_PER_MINUTE": 0}  # the per-minute limit is tested in test_rate_limits.py
pytestmark = pytest.mark.parametrize("app_settings", [LOCKING])


def token_request(client, username, password, address="203.0.113.5"):
    return client.post("/api/tokens", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def log_rows(*kinds) -> list[tuple]:
    db.session.expire_all()
    statement = db.select(SecurityEvent).order_by(SecurityEvent.id)
    if kinds:
        statement = statement.where(SecurityEvent.kind.in_(kinds))
    return [(event.kind, event.username, event.detail) for event in db.session.execute(statement).scalars()]


def end_the_lock(user) -> None:
    """As if the lock's time had passed (the failures' times move back with it)."""
    lockout = db.session.get(AccountLockout, user.id)
    lockout.locked_until = utcnow() - timedelta(seconds=1)
    lockout.last_failure_at = utcnow() - timedelta(minutes=5)
    db.session.commit()


@pytest.fixture
def spy_hashing(monkeypatch):
    """Every password hash checked, as (stored hash, password)."""
    checked = []
    real = models.user.check_password_hash
    monkeypatch.setattr(models.user, "check_password_hash",
                        lambda stored, password: checked.append((stored, password)) or real(stored, password))
    return checked


def test_wrong_passwords_lock_the_account_before_any_hashing_and_the_log_says_so(client, alice, spy_hashing):
    assert [token_request(client, "alice", f"wrong {n}", f"198.51.100.{n}").status_code for n in range(3)] == [401] * 3
    assert [password for _, password in spy_hashing] == [f"wrong {n}" for n in range(3)]  # the spy sees hashing
    spy_hashing.clear()
    locked = token_request(client, "alice", PASSWORD, "192.0.2.9")  # the right password, from elsewhere
    assert error_of(locked) == (429, "account_locked")
    assert 58 <= int(locked.headers["Retry-After"]) <= 60 and locked.get_json()["error"]["retry_after"] >= 58
    assert spy_hashing == []
    assert log_rows() == [("login_failed", "alice", "wrong password")] * 3 + [
        ("account_locked", "alice", "for 60 s after 3 failed logins")]
    assert lockout_state(alice).locked()


def test_attempts_during_a_lock_do_not_extend_it_then_each_lock_doubles_up_to_the_cap(client, alice):
    for _ in range(3):
        token_request(client, "alice", "wrong")
    until = lockout_state(alice).locked_until
    for _ in range(5):
        assert error_of(token_request(client, "alice", "wrong")) == (429, "account_locked")
    assert lockout_state(alice).locked_until == until
    lengths = []
    for _ in range(3):
        end_the_lock(alice)
        for _ in range(3):
            assert token_request(client, "alice", "wrong").status_code == 401
        lengths.append(int(token_request(client, "alice", "wrong").headers["Retry-After"]))
    assert lengths == [120, 150, 150]  # twice as long, then the cap
    assert [row[2] for row in log_rows("account_locked")] == [
        "for 60 s after 3 failed logins", "for 120 s after 3 failed logins", "for 150 s after 3 failed logins",
        "for 150 s after 3 failed logins"]


def test_a_lock_ends_by_itself_and_a_success_starts_the_count_again(client, alice):
    for _ in range(3):
        token_request(client, "alice", "wrong")
    end_the_lock(alice)
    assert token_request(client, "alice", PASSWORD).status_code == 201
    for _ in range(2):
        assert token_request(client, "alice", "wrong").status_code == 401
    assert token_request(client, "alice", PASSWORD).status_code == 201  # 2 failures, a success: 0 again
    for _ in range(2):
        assert token_request(client, "alice", "wrong").status_code == 401
    assert token_request(client, "alice", PASSWORD).status_code == 201
    assert lockout_state(alice).failures == 0 and not lockout_state(alice).locked()
    assert [row[2] for row in log_rows("login")] == ["token"] * 3


def test_a_browser_the_owner_logged_in_from_is_spared_the_lock(app, alice):
    owners_browser = logged_in(app, "alice")  # a successful login: this browser is trusted for alice
    owners_browser.post("/logout")
    guesser = app.test_client()
    for _ in range(3):
        assert guesser.post("/login", data={"username": "alice", "password": "wrong"}).status_code == 400
    refused = guesser.post("/login", data={"username": "alice", "password": PASSWORD})
    assert refused.status_code == 429 and "locked" in refused.get_data(as_text=True)
    assert owners_browser.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 302
    # a forged or foreign cookie does not help
    guesser.set_cookie("trusted_device", owners_browser.get_cookie("trusted_device").value + "x")
    assert guesser.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 429
    assert [row[2] for row in log_rows("login")] == ["password", "password"]


def test_unknown_names_are_hashed_like_known_ones_and_never_lock(client, alice, spy_hashing):
    assert error_of(token_request(client, "nobody", "a guess")) == (401, "invalid_credentials")
    assert error_of(token_request(client, "alice", "a guess")) == (401, "invalid_credentials")
    assert [password for _, password in spy_hashing] == ["a guess", "a guess"]
    dummy, real = spy_hashing[0][0], spy_hashing[1][0]
    assert dummy.split("$")[0] == real.split("$")[0]  # the same method and cost as a real account's
    for _ in range(5):
        assert token_request(client, "nobody", "a guess").status_code == 401
    assert log_rows("login_failed")[0] == ("login_failed", "nobody", "unknown account")
    assert [(row.user_id, row.failures) for row in db.session.execute(db.select(AccountLockout)).scalars()] == [
        (alice.id, 1)]  # alice's one failure; "nobody" has no account to lock


def test_an_operator_lifts_a_lock_with_an_audit_entry(app, client, alice, operator):
    for _ in range(3):
        token_request(client, "alice", "wrong")
    page = logged_in(app, "operator").get(f"/admin/user/manage/?id={alice.id}").get_data(as_text=True)
    assert "Lift the lock" in page and "locked" in page
    assert logged_in(app, "operator").post(f"/admin/user/manage/{alice.id}/unlock").status_code == 302
    assert not lockout_state(alice).locked() and token_request(client, "alice", PASSWORD).status_code == 201
    [entry] = audit_entries("user.unlock")
    assert (entry.actor_name, entry.target_id, entry.before["level"], entry.after) == (
        "operator", alice.id, 1, {"failures": 0, "level": 0, "locked_until": None})
    assert log_rows("lockout_lifted") == [("lockout_lifted", "alice", "by operator operator")]


def test_only_operators_lift_locks(alice, bob):
    with pytest.raises(Exception) as refused:
        lift_lockout(bob, alice.id)
    assert getattr(refused.value, "code", None) == "not_an_operator"


@pytest.mark.integration
def test_the_same_on_postgresql(tmp_path, postgres, app_settings):
    """The failure count's upsert and row lock (its own transaction) on PostgreSQL."""
    from tests.database_apps import app_on, postgres_database
    from tests.factories import make_user

    with postgres_database(postgres) as url, app_on(url, tmp_path) as app:
        app.config.update(app_settings)
        alice, operator = make_user("alice"), make_user("operator", role="admin")
        client = app.test_client()
        assert [token_request(client, "alice", "wrong").status_code for _ in range(3)] == [401] * 3
        assert error_of(token_request(client, "alice", PASSWORD)) == (429, "account_locked")
        assert [row[0] for row in log_rows()] == ["login_failed"] * 3 + ["account_locked"]
        lift_lockout(operator, alice.id)
        assert token_request(client, "alice", PASSWORD).status_code == 201
        assert lockout_state(alice) == type(lockout_state(alice))(0, 0, None)
