"""Two-factor authentication through the real pages and the API (Flask test client): enrolment
from the settings page, the code asked after the password, recovery codes, replays, turning it
off, and operators sent to enrol before the back office."""
from __future__ import annotations

import re
import time

import pyotp
import pytest

from actions import two_factor
from models import LoginSession, RecoveryCode, TwoFactor
from tests.factories import PASSWORD


def code_for(secret: str, steps_ahead: int = 0) -> str:
    """The app's code, `steps_ahead` 30-second steps from now (the server accepts one either side)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


def log_in(client, username: str = "alice"):
    return client.post("/login", data={"username": username, "password": PASSWORD})


def enrol(client) -> tuple[str, list[str]]:
    """Turn two-factor on through the set-up page; returns the secret and the recovery codes."""
    setup = client.get("/settings/two-factor")
    assert setup.status_code == 200
    secret = re.search(r'id="two-factor-secret">([A-Z2-7]+)<', setup.text).group(1)
    assert 'src="data:image/svg+xml' in setup.text
    done = client.post("/settings/two-factor", data={"password": PASSWORD, "code": code_for(secret)})
    assert done.status_code == 200, done.text
    codes = re.findall(r"<li><code>([a-z2-9-]+)</code></li>", done.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    return secret, codes


@pytest.fixture
def enrolled(app, client, alice):
    """alice with two-factor on (enrolled through the pages), logged out again."""
    log_in(client)
    secret, codes = enrol(client)
    client.post("/logout")
    return secret, codes


def sessions_of(user) -> int:
    from extensions import db

    return db.session.query(LoginSession).filter_by(user_id=user.id).count()


def test_enrolment_needs_a_right_code(app, client, alice):
    log_in(client)
    setup = client.get("/settings/two-factor")
    secret = re.search(r'id="two-factor-secret">([A-Z2-7]+)<', setup.text).group(1)
    wrong = client.post("/settings/two-factor", data={"password": PASSWORD,
                                                      "code": "000000" if code_for(secret) != "000000" else "111111"})
    assert wrong.status_code == 401
    assert not two_factor.has_two_factor(alice)
    # The page shows the same secret again until it is confirmed.
    assert secret in client.get("/settings/two-factor").text
    assert client.post("/settings/two-factor", data={"password": PASSWORD, "code": code_for(secret)}).status_code == 200
    assert two_factor.has_two_factor(alice)
    settings = client.get("/settings")
    assert 'data-enabled="yes"' in settings.text and "10 recovery codes left" in settings.text


@pytest.mark.parametrize("password", [None, "", "not the password"])
def test_enrolment_needs_the_password(app, client, alice, password):
    """Someone holding only a session (a stolen cookie, a browser left open) must not put their own
    authenticator on the account: the owner's next login, and a password reset, would ask for its codes."""
    log_in(client)
    setup = client.get("/settings/two-factor")
    secret = re.search(r'id="two-factor-secret">([A-Z2-7]+)<', setup.text).group(1)
    form = {"code": code_for(secret)} if password is None else {"password": password, "code": code_for(secret)}
    refused = client.post("/settings/two-factor", data=form)
    assert refused.status_code == 401 and "The password is wrong." in refused.text
    assert not two_factor.has_two_factor(alice)
    assert client.post("/settings/two-factor", data={"password": PASSWORD, "code": code_for(secret)}).status_code == 200
    assert two_factor.has_two_factor(alice)


def test_login_asks_for_the_code_before_any_session(app, client, alice, enrolled):
    secret, _ = enrolled
    before = sessions_of(alice)
    asked = log_in(client)
    assert asked.status_code == 302 and asked.headers["Location"].endswith("/login/two-factor")
    assert sessions_of(alice) == before
    assert client.get("/api/me").status_code == 401  # the password alone opened nothing

    wrong = client.post("/login/two-factor", data={"code": "12345"})
    assert wrong.status_code == 401 and client.get("/api/me").status_code == 401
    right = client.post("/login/two-factor", data={"code": code_for(secret, 1)})
    assert right.status_code == 302 and right.headers["Location"] == "/"
    assert client.get("/api/me").json["user"]["id"] == alice.id
    assert sessions_of(alice) == before + 1


def test_a_code_is_not_accepted_twice(app, client, alice, enrolled):
    secret, _ = enrolled
    code = code_for(secret, 1)
    log_in(client)
    assert client.post("/login/two-factor", data={"code": code}).status_code == 302
    client.post("/logout")
    log_in(client)
    replayed = client.post("/login/two-factor", data={"code": code})
    assert replayed.status_code == 401 and "used already" in replayed.text
    # Nor an older one of the same window.
    assert client.post("/login/two-factor", data={"code": code_for(secret)}).status_code == 401
    assert client.get("/api/me").status_code == 401


def test_a_recovery_code_works_once(app, client, alice, enrolled):
    _, codes = enrolled
    log_in(client)
    assert client.post("/login/two-factor", data={"code": codes[3].upper()}).status_code == 302
    assert client.get("/api/me").status_code == 200
    client.post("/logout")
    log_in(client)
    assert client.post("/login/two-factor", data={"code": codes[3]}).status_code == 401
    assert client.get("/api/me").status_code == 401
    assert two_factor.recovery_codes_left(alice) == 9


def test_too_many_wrong_codes_ask_for_the_password_again(app, client, alice, enrolled):
    secret, _ = enrolled
    log_in(client)
    for _ in range(4):
        assert client.post("/login/two-factor", data={"code": "999999x"}).status_code == 401
    fifth = client.post("/login/two-factor", data={"code": "999999x"})
    assert fifth.status_code == 302 and fifth.headers["Location"].endswith("/login")
    again = client.post("/login/two-factor", data={"code": code_for(secret, 1)})
    assert again.status_code == 302 and again.headers["Location"].endswith("/login")
    assert client.get("/api/me").status_code == 401


def test_an_older_copy_of_the_login_cookie_cannot_try_more_codes(app, client, alice, enrolled):
    # The security audit replayed the cookie saved after the password: twelve wrong codes, none refused.
    secret, _ = enrolled
    log_in(client)
    saved = client.get_cookie("session").value
    assert client.post("/login/two-factor", data={"code": "999999x"}).status_code == 401
    client.set_cookie("session", saved)
    replayed = client.post("/login/two-factor", data={"code": code_for(secret)})  # even with the right code
    assert replayed.status_code == 302 and replayed.headers["Location"].endswith("/login")
    assert client.get("/api/me").status_code == 401
    log_in(client)  # the password again: a new step, and the right code works
    assert client.post("/login/two-factor", data={"code": code_for(secret, 1)}).status_code == 302
    assert client.get("/api/me").status_code == 200


def test_the_code_step_without_a_password_is_refused(app, client, alice, enrolled):
    secret, _ = enrolled
    refused = client.post("/login/two-factor", data={"code": code_for(secret, 1)})
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/login")
    assert client.get("/api/me").status_code == 401


def test_api_tokens_need_the_code(app, client, alice, enrolled):
    secret, codes = enrolled
    body = {"username": "alice", "password": PASSWORD}
    missing = client.post("/api/tokens", json=body)
    assert missing.status_code == 401 and missing.json["error"]["code"] == "two_factor_required"
    wrong = client.post("/api/tokens", json={**body, "totp": "000001"})
    assert wrong.status_code == 401 and wrong.json["error"]["code"] in ("invalid_code", "code_used")
    right = client.post("/api/tokens", json={**body, "totp": code_for(secret, 1)})
    assert right.status_code == 201, right.json
    replayed = client.post("/api/tokens", json={**body, "totp": code_for(secret, 1)})
    assert replayed.status_code == 401 and replayed.json["error"]["code"] == "code_used"
    assert client.post("/api/tokens", json={**body, "totp": codes[0]}).status_code == 201
    used = client.post("/api/tokens", json={**body, "totp": codes[0]})
    assert used.status_code == 401 and used.json["error"] == {
        "code": "code_used", "message": "That recovery code was used already: each one works once."}
    unknown = client.post("/api/tokens", json={**body, "totp": codes[1][:-1] + ("a" if codes[1][-1] != "a" else "b")})
    assert unknown.status_code == 401 and unknown.json["error"]["code"] == "invalid_code"


def test_turning_it_off_takes_the_password_and_a_code(app, client, alice, enrolled):
    secret, codes = enrolled
    log_in(client)
    client.post("/login/two-factor", data={"code": code_for(secret, 1)})
    client.post("/settings/two-factor/disable", data={"password": "wrong password", "code": codes[5]})
    assert two_factor.has_two_factor(alice)
    client.post("/settings/two-factor/disable", data={"password": PASSWORD, "code": "123"})
    assert two_factor.has_two_factor(alice)
    # A code of an earlier step than the login's is refused too (replay).
    client.post("/settings/two-factor/disable", data={"password": PASSWORD, "code": code_for(secret, -1)})
    assert two_factor.has_two_factor(alice)
    # (The app's next code is a step away; a recovery code does as well.)
    client.post("/settings/two-factor/disable", data={"password": PASSWORD, "code": codes[5]})
    assert not two_factor.has_two_factor(alice)
    from extensions import db

    assert db.session.query(RecoveryCode).filter_by(user_id=alice.id).count() == 0
    assert db.session.get(TwoFactor, alice.id) is None
    client.post("/logout")
    assert log_in(client).headers["Location"] == "/"  # no code asked any more


def test_new_recovery_codes_replace_the_old(app, client, alice, enrolled):
    secret, old = enrolled
    log_in(client)
    client.post("/login/two-factor", data={"code": old[0]})
    page = client.post("/settings/two-factor/recovery-codes", data={"code": code_for(secret, 1)})
    new = re.findall(r"<li><code>([a-z2-9-]+)</code></li>", page.text)
    assert len(new) == 10 and not set(new) & set(old)
    client.post("/logout")
    log_in(client)
    assert client.post("/login/two-factor", data={"code": old[1]}).status_code == 401
    assert client.post("/login/two-factor", data={"code": new[1]}).status_code == 302


@pytest.mark.parametrize("app_settings", [{"TWO_FACTOR_REQUIRED_FOR_OPERATORS": True}])
def test_operators_enrol_before_the_back_office(app, client, operator):
    log_in(client, "operator")
    sent = client.get("/admin/")
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/settings/two-factor")
    token = client.post("/api/tokens", json={"username": "operator", "password": PASSWORD}).json["token"]
    broadcast = {"path": "/api/admin/broadcasts", "json": {"body": "Maintenance tonight"},
                 "headers": {"Authorization": f"Bearer {token}"}}
    refused = client.post(**broadcast)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "two_factor_enrolment_required"
    assert "Operators must turn this on" in client.get("/settings").text
    enrol(client)
    assert client.get("/admin/").status_code == 200
    assert client.post(**broadcast).status_code == 202  # queued for everyone


def test_operators_are_not_held_back_by_default(app, client, operator):
    log_in(client, "operator")
    assert client.get("/admin/").status_code == 200


def enrol_directly(user) -> str:
    """Two-factor turned on through the actions (the pages are tested above); returns the secret."""
    from extensions import db

    secret = two_factor.start_enrolment(user).secret
    two_factor.confirm_enrolment(user, PASSWORD, code_for(secret))
    db.session.commit()
    return secret


def test_a_password_reset_by_code_does_not_skip_the_second_factor(app, client, caplog):
    from actions.accounts import register_user
    from extensions import db
    from tests.test_api_accounts import CODE, sent_messages

    alice = register_user("alice", PASSWORD, email="alice@example.org")
    db.session.commit()
    secret = enrol_directly(alice)
    client.post("/password/forgot", data={"login": "alice@example.org"})
    code = CODE.search(sent_messages(caplog)[0]).group(1)
    form = {"login": "alice@example.org", "code": code, "password": "brand new secret", "confirm": "brand new secret"}
    # Who has only the mailbox changes nothing: not the password, not the owner's sessions (as the API).
    missing = client.post("/password/reset", data=form)
    assert missing.status_code == 401
    assert "enter a code from your authenticator app" in missing.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(alice), alice.id).check_password(PASSWORD)
    wrong = client.post("/password/reset", data={**form, "totp": "000000"})
    assert wrong.status_code == 401 and db.session.get(type(alice), alice.id).check_password(PASSWORD)
    from models.security_event import SecurityEvent
    refused = db.session.execute(db.select(SecurityEvent.detail).where(SecurityEvent.kind == "login_failed")).scalars()
    assert list(refused) == ["two-factor: invalid_code"]  # logged, though the request rolled back
    assert client.get("/api/me").status_code == 401
    done = client.post("/password/reset", data={**form, "totp": code_for(secret, 1)})
    assert (done.status_code, done.headers["Location"]) == (302, "/")
    assert client.get("/api/me").json["user"]["id"] == alice.id
    db.session.expire_all()
    assert db.session.get(type(alice), alice.id).check_password("brand new secret")


def test_the_api_password_reset_asks_for_the_second_factor(app, client, caplog):
    from actions.accounts import register_user
    from extensions import db
    from tests.test_api_accounts import code_sent_to

    alice = register_user("alice", PASSWORD, email="alice@example.org")
    db.session.commit()
    secret = enrol_directly(alice)
    client.post("/api/password-reset", json={"login": "alice"})
    code = code_sent_to(caplog, "alice@example.org")
    body = {"login": "alice", "code": code, "password": "brand new secret"}
    missing = client.post("/api/password-reset/confirm", json=body)
    assert missing.status_code == 401 and missing.json["error"]["code"] == "two_factor_required"
    db.session.expire_all()
    assert db.session.get(type(alice), alice.id).check_password(PASSWORD)  # nothing was changed
    done = client.post("/api/password-reset/confirm", json={**body, "totp": code_for(secret, 1)})
    assert done.status_code == 200, done.json


def test_wrong_codes_are_in_the_security_log(app, client, alice, enrolled):
    from models import SecurityEvent

    log_in(client)
    client.post("/login/two-factor", data={"code": "000000x"})
    (event,) = SecurityEvent.query.filter_by(kind="login_failed").all()
    assert event.user_id == alice.id and event.detail == "two-factor: invalid_code"


def test_hostile_codes_are_wrong_codes(app, client, alice, enrolled):
    body = {"username": "alice", "password": PASSWORD}
    for code in ("\ud800" * 12, "x" * 10_000, 123456, ["123456"], {"code": 1}, "１２３４５６", "abcd-efgh-ijk\x00"):
        answer = client.post("/api/tokens", json={**body, "totp": code})
        assert answer.status_code == 401 and answer.json["error"]["code"] == "invalid_code", (code, answer.json)


def test_an_operator_turns_off_a_users_two_factor(app, client, alice, bob, operator):
    from actions.errors import Forbidden
    from extensions import db
    from models import AuditEntry

    enrol_directly(alice)
    secret = enrol_directly(operator)
    log_in(client, "bob")
    assert client.post(f"/admin/user/manage/{alice.id}/two-factor-off").status_code == 403
    client.post("/logout")
    log_in(client, "operator")
    client.post("/login/two-factor", data={"code": code_for(secret, 1)})
    page = client.get(f"/admin/user/manage/?id={alice.id}")
    assert 'id="user-two-factor"' in page.text and "10 recovery code(s) left" in page.text
    done = client.post(f"/admin/user/manage/{alice.id}/two-factor-off")
    assert done.status_code == 302
    assert not two_factor.has_two_factor(alice)
    (entry,) = db.session.execute(db.select(AuditEntry).where(AuditEntry.action == "user.two_factor_reset")).scalars()
    assert (entry.actor_id, entry.target_id) == (operator.id, alice.id)
    with pytest.raises(Forbidden):
        two_factor.reset_two_factor(operator, operator.id)
    db.session.rollback()
    assert two_factor.has_two_factor(operator)
    client.post("/logout")
    assert log_in(client, "alice").headers["Location"] == "/"
