"""actions/lockout.py through the login page and POST /api/tokens: a login name locks after
LOCKOUT_FAILURES wrong passwords in a row, each next lock twice as long up to a cap; a lock is
not extended by attempts during it, ends by itself, spares a browser its owner logged in from,
and an operator can lift it (audited). Unknown names are hashed like known ones and lock the same
way, on every login path; an inactive account is told only after its right password. The security
log has a row for each of these. Times move by rewriting the lock, never by sleeping."""
from datetime import timedelta

import pytest

import models.user
from actions.lockout import lift_lockout, lockout_state, login_name_key
from extensions import db
from models import LoginLockout, SecurityEvent
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
    """As if the lock of the user's name had passed (the failures' times move back with it)."""
    lockout = db.session.get(LoginLockout, login_name_key(user.username))
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


def test_unknown_names_are_hashed_like_known_ones_and_lock_the_same_way(client, alice, spy_hashing):
    assert error_of(token_request(client, "nobody", "a guess")) == (401, "invalid_credentials")
    assert error_of(token_request(client, "alice", "a guess")) == (401, "invalid_credentials")
    assert [password for _, password in spy_hashing] == ["a guess", "a guess"]
    dummy, real = spy_hashing[0][0], spy_hashing[1][0]
    assert dummy.split("$")[0] == real.split("$")[0]  # the same method and cost as a real account's
    for name in ("nobody", "alice"):
        assert [token_request(client, name, "a guess").status_code for _ in range(2)] == [401, 401]
    spy_hashing.clear()
    unknown, known = token_request(client, "Nobody ", "a guess"), token_request(client, "alice", PASSWORD)
    assert error_of(unknown) == error_of(known) == (429, "account_locked")  # the name as typed, normalized
    assert unknown.headers["Retry-After"] == known.headers["Retry-After"]
    assert unknown.get_json()["error"]["message"] == known.get_json()["error"]["message"]
    assert spy_hashing == []
    assert log_rows("login_failed")[0] == ("login_failed", "nobody", "unknown account")
    assert log_rows("account_locked") == [("account_locked", "nobody", "for 60 s after 3 failed logins"),
                                          ("account_locked", "alice", "for 60 s after 3 failed logins")]
    assert db.session.execute(db.select(db.func.count()).select_from(LoginLockout)).scalar() == 2
    assert token_request(client, "somebody", "a guess").status_code == 401  # another name: its own count


def test_each_name_of_an_account_counts_apart(client, alice):
    alice.email = "alice@example.com"
    db.session.commit()
    for _ in range(3):
        assert token_request(client, "alice@example.com", "wrong").status_code == 401
    assert error_of(token_request(client, "ALICE@example.com", PASSWORD)) == (429, "account_locked")
    # Counting the names together would tell whoever fails with two names that they are one account's.
    assert token_request(client, "alice", PASSWORD).status_code == 201
    assert lockout_state(alice).locked()  # operators see the account's names together


def test_a_day_quiet_name_is_forgotten(client, alice):
    token_request(client, "nobody", "a guess")
    db.session.execute(db.update(LoginLockout).values(last_failure_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    token_request(client, "alice", "wrong")
    db.session.expire_all()
    assert [row.name_key for row in db.session.execute(db.select(LoginLockout)).scalars()] == [
        login_name_key("alice")]


def test_inactive_accounts_are_told_only_after_the_right_password(app, client, alice, bob, spy_hashing):
    app.config["LOCKOUT_FAILURES"] = 10  # three paths, one wrong password each, before the right one
    alice.active = False
    bob.active, bob.suspended_until, bob.suspension_reason = False, utcnow() + timedelta(days=1), "spam"
    db.session.commit()
    page = app.test_client()
    for name in ("alice", "bob"):
        assert error_of(token_request(client, name, "wrong")) == (401, "invalid_credentials")
        refused = page.post("/login", data={"username": name, "password": "wrong"})
        assert refused.status_code == 400 and "deactivated" not in refused.get_data(as_text=True)
        assert "suspended" not in refused.get_data(as_text=True)
        assert error_of(client.post("/api/accounts/confirm", json={"username": name, "password": "wrong",
                                                                   "code": "123456"})) == (401, "invalid_credentials")
    assert len(spy_hashing) == 6  # each wrong password hashed, as for an active account
    assert error_of(token_request(client, "alice", PASSWORD)) == (401, "account_deactivated")
    suspended = token_request(client, "bob", PASSWORD).get_json()["error"]
    assert (suspended["code"], suspended["reason"]) == ("account_suspended", "spam")
    assert "deactivated" in page.post("/login", data={"username": "alice", "password": PASSWORD}).get_data(
        as_text=True)


@pytest.mark.parametrize("path", ["/login", "/api/accounts/confirm", "/api/accounts/resend"])
def test_every_login_path_locks_unknown_names_as_known_ones(app, alice, path):
    client = app.test_client()

    def attempt(name, password):
        if path == "/login":
            response = client.post(path, data={"username": name, "password": password})
            return response.status_code, "locked" in response.get_data(as_text=True)
        code = {"code": "123456"} if path == "/api/accounts/confirm" else {}  # resend takes none (invalid_field)
        response = client.post(path, json={"username": name, "password": password, **code})
        return error_of(response)

    for name in ("alice", "nobody"):
        for _ in range(3):
            assert attempt(name, "wrong") in ((400, False), (401, "invalid_credentials"))
    assert attempt("alice", PASSWORD) == attempt("nobody", PASSWORD) != attempt("somebody", PASSWORD)
    assert attempt("alice", PASSWORD) in ((429, True), (429, "account_locked"))


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


def test_a_session_giving_wrong_passwords_again_is_locked_as_the_login_page_locks(app, client, alice, operator,
                                                                                   spy_hashing):
    """Whoever held only Alice's session (a stolen cookie) guessed her password on the settings page's token
    form (and its password change) at LOGIN_ATTEMPTS_PER_MINUTE for ever, never locked and never logged,
    where the login page locks a name after LOCKOUT_FAILURES. Now the session is locked as the login page
    would be (429 account_locked, even for the right password, before any hashing) and each failure is
    logged; it is counted apart from her names, so her login elsewhere is not locked by it (nor the session
    by a guesser at the login page); an operator's lift ends it, as it ends her names' locks."""
    session = logged_in(app, "alice")

    def new_token(password):
        return session.post("/settings/tokens", data={"name": "t", "expires_in_days": "0", "password": password})
    assert [new_token(f"wrong {n}").status_code for n in range(3)] == [401] * 3
    spy_hashing.clear()
    locked = new_token(PASSWORD)
    assert locked.status_code == 429 and "sbt_" not in locked.get_data(as_text=True) and spy_hashing == []
    assert log_rows("login_failed") == [("login_failed", "alice", "wrong password given again, signed in")] * 3
    assert [kind for kind, _, _ in log_rows("account_locked")] == ["account_locked"]
    assert lockout_state(alice).locked()
    assert token_request(client, "alice", PASSWORD).status_code == 201  # her login name is not locked
    lift_lockout(operator, alice.id)
    assert new_token(PASSWORD).status_code == 201
