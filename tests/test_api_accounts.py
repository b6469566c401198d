"""blueprints/api/accounts.py and actions/registration.py, actions/codes.py: registration under
each REGISTRATION setting, codes (wrong, expired, exhausted, resent), addresses already taken,
password reset by code, login by email or phone, rehash on login. Codes are read from what the
console sender logged when the queued job ran (tests/integration/test_registration_live.py reads
them from a real SMTP server and webhook receiver)."""
import hashlib
import logging
import re
import time
from datetime import datetime, timedelta

import pytest

from actions.accounts import register_user
from actions.codes import send_account_code, send_change_notice
from actions.registration import send_reset_code
from extensions import db
from jobs import job_queue
from models import ApiToken, User
from models.account_code import AccountCode
from models.time import utcnow
from tests.factories import PASSWORD
from tests.helpers import bearer, database_rows, error_of

EMAIL_ONLY = [{"REGISTRATION": ("email",)}]
CODE = re.compile(r"code is ([0-9]{6})")


def sent_messages(caplog) -> list[str]:
    """Run the code jobs the requests queued (as the consumer would); what the console sender logged."""
    queue = job_queue()
    for job in [job for job in queue.queued(100) if job.name == send_reset_code.name]:
        send_reset_code(*job.arguments)  # the account looked up: it asks for the code job below
    waiting = [job for job in queue.queued(100) if job.name in (send_account_code.name, send_change_notice.name)]
    queue.huey.flush()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="notify.console"):
        for job in waiting:
            (send_account_code if job.name == send_account_code.name else send_change_notice)(*job.arguments)
    return [record.getMessage() for record in caplog.records if record.name == "notify.console"]


def code_sent_to(caplog, address: str) -> str:
    (message,) = sent_messages(caplog)
    assert message.startswith(f"{'email' if '@' in address else 'phone'} to {address} "), message
    return CODE.search(message).group(1)


def register(client, **fields):
    return client.post("/api/accounts", json={"username": "dave", "password": PASSWORD, **fields})


def confirm(client, code: str, username: str = "dave"):
    return client.post("/api/accounts/confirm", json={"username": username, "password": PASSWORD, "code": code})


def code_row(username: str = "dave", purpose: str = "confirm") -> AccountCode:
    db.session.expire_all()
    user = db.session.execute(db.select(User).where(User.username == username)).scalar_one()
    return db.session.execute(db.select(AccountCode).where(AccountCode.user_id == user.id,
                                                           AccountCode.purpose == purpose)).scalar_one()


def me(client, token: str):
    return client.get("/api/me", headers={"Authorization": f"Bearer {token}"})


# REGISTRATION=open (the default)

def test_open_registration_answers_with_the_user_and_a_working_token(client, app):
    response = register(client, username="Dave", display_name="Dave D")
    assert response.status_code == 201
    body = response.get_json()
    user = db.session.execute(db.select(User)).scalar_one()
    assert set(body) == {"ok", "token", "expires_at", "user"}
    assert body["user"]["id"] == user.id and body["user"]["username"] == "dave"
    assert body["user"]["display_name"] == "Dave D"
    expires = datetime.fromisoformat(body["expires_at"].rstrip("Z"))
    assert timedelta(days=app.config["API_TOKEN_DAYS"] - 1) < expires - utcnow() <= timedelta(
        days=app.config["API_TOKEN_DAYS"])
    assert me(client, body["token"]).get_json()["user"]["username"] == "dave"
    assert user.role == "user" and user.confirmed_at is not None
    assert job_queue().queued_count() == 0  # no address, no code


def test_register_cannot_choose_a_role(client):
    """A field registration does not take (`role`) is refused, not ignored: no account is made."""
    before = database_rows()
    assert error_of(register(client, role="admin")) == (400, "invalid_field")
    assert database_rows() == before and job_queue().queued_count() == 0


@pytest.mark.parametrize("path, body", [
    ("/api/accounts", {"username": "dave", "password": PASSWORD, "displayname": "Dave D"}),
    ("/api/accounts/confirm", {"username": "alice", "password": PASSWORD, "code": "123456", "remember": True}),
    ("/api/accounts/resend", {"username": "alice", "password": PASSWORD, "mail": "alice@example.org"}),
    ("/api/password-reset", {"login": "alice", "channel": "email"}),
    ("/api/password-reset/confirm", {"login": "alice", "code": "123456", "new_password": "a new password 42"}),
])
def test_account_routes_refuse_a_field_they_do_not_take(client, alice, path, body):
    """docs/protocol.md, Input: a body's field its route does not list (a typo such as `displayname`,
    `mail`, `new_password`) is 400 invalid_field before anything else, and nothing is changed, sent or
    counted: it was ignored (an account made without its display name, a reset code sent)."""
    before = database_rows()
    assert error_of(client.post(path, json=body)) == (400, "invalid_field")
    assert database_rows() == before and job_queue().queued_count() == 0


def test_an_optional_address_joins_the_account_once_its_code_is_entered(client, caplog):
    response = register(client, email="Dave@Example.ORG")
    assert response.status_code == 201
    body = response.get_json()
    assert body["confirmation"] == {"channel": "email", "sent_to": "d•••@example.org"}
    assert me(client, body["token"]).status_code == 200  # usable at once: the address is optional here
    assert db.session.get(User, body["user"]["id"]).email is None  # not before its code
    code = code_sent_to(caplog, "dave@example.org")
    confirmed = confirm(client, code)
    assert confirmed.status_code == 200 and me(client, confirmed.get_json()["token"]).status_code == 200
    db.session.expire_all()
    user = db.session.get(User, body["user"]["id"])
    assert user.email == "dave@example.org" and user.email_confirmed_at is not None
    assert error_of(confirm(client, code)) == (404, "nothing_to_confirm")  # a code works once


@pytest.mark.parametrize("payload, status, code", [
    ({"username": "ALICE", "password": PASSWORD}, 409, "username_taken"),
    ({"username": "all", "password": PASSWORD}, 409, "username_taken"),  # `@all` mentions a group's members
    ({"username": "All.", "password": PASSWORD}, 409, "username_taken"),  # "@all." reads as `@all` too
    ({"username": "dave", "password": "short"}, 400, "invalid_password"),
    ({"username": "dave", "password": "password1"}, 400, "common_password"),
    ({"username": "dave", "password": "Dave2024!!"}, 400, "password_contains_username"),
    ({"username": "d", "password": PASSWORD}, 400, "invalid_username"),
    ({"password": PASSWORD}, 400, "invalid_username"),
    ({"username": "dave", "password": PASSWORD, "email": "nope"}, 400, "invalid_email"),
    ({"username": "dave", "password": PASSWORD, "phone": "+1 555 000 1111"}, 400, "invalid_phone"),
    ({"username": "dave", "password": PASSWORD, "email": "d@example.org", "phone": "+14155550123"}, 400,
     "invalid_address"),
    ({"username": "dave", "password": PASSWORD, "display_name": ["x"]}, 400, "invalid_display_name"),
])
def test_register_refusals_change_nothing(client, alice, payload, status, code):
    before = database_rows()
    assert error_of(client.post("/api/accounts", json=payload)) == (status, code)
    assert database_rows() == before
    assert job_queue().queued_count() == 0


# an address another account has: the same answer, and its owner is told

def test_registering_with_a_taken_address_answers_the_same_and_tells_its_owner(client, caplog):
    register_user("alice", PASSWORD, email="alice@example.org", phone="+14155550123")
    fresh, taken = register(client, username="dave", email="dave@example.org"), \
        register(client, username="mallory", email="ALICE@example.org")
    assert (fresh.status_code, taken.status_code) == (201, 201)
    fresh_body, taken_body = fresh.get_json(), taken.get_json()
    assert set(fresh_body) == set(taken_body)
    assert taken_body["confirmation"] == {"channel": "email", "sent_to": "a•••@example.org"}
    messages = sent_messages(caplog)
    to_alice = next(message for message in messages if message.startswith("email to alice@example.org"))
    assert "already belongs to the account alice" in to_alice and not re.search(r"[0-9]{6}", to_alice)
    assert any(message.startswith("email to dave@example.org") and CODE.search(message) for message in messages)
    # mallory never gets a code: no code works for it (each guess counted).
    assert error_of(confirm(client, "123456", "mallory")) == (400, "wrong_code")
    db.session.expire_all()
    assert db.session.execute(db.select(User).where(User.username == "alice")).scalar_one().email == \
        "alice@example.org"


@pytest.mark.parametrize("app_settings", [{"REGISTRATION": ("phone",)}])
def test_a_taken_phone_answers_the_same_too(client, caplog):
    register_user("alice", PASSWORD, phone="+14155550123")
    fresh = register(client, username="dave", phone="+1 415 555 0124")
    taken = register(client, username="mallory", phone="+1 (415) 555-0123")
    assert (fresh.status_code, taken.status_code) == (202, 202)
    assert set(fresh.get_json()) == set(taken.get_json()) == {"ok", "user", "confirmation"}
    messages = sent_messages(caplog)
    assert any(message.startswith("phone to +14155550123") and "already belongs" in message for message in messages)


# REGISTRATION=email: the account confirms before anything else

@pytest.mark.parametrize("app_settings", EMAIL_ONLY)
def test_email_registration_needs_an_email_and_its_code_before_the_account_works(client, caplog):
    assert error_of(register(client)) == (400, "address_required")
    assert error_of(register(client, phone="+14155550123")) == (400, "address_required")
    response = register(client, email="dave@example.org")
    assert response.status_code == 202
    body = response.get_json()
    assert set(body) == {"ok", "user", "confirmation"}  # no token yet
    refused = client.post("/api/tokens", json={"username": "dave", "password": PASSWORD})
    assert error_of(refused) == (403, "unconfirmed")
    code = code_sent_to(caplog, "dave@example.org")
    assert error_of(client.post("/api/accounts/confirm", json={"username": "dave", "password": "wrong password",
                                                               "code": code})) == (401, "invalid_credentials")
    confirmed = confirm(client, code)
    assert confirmed.status_code == 200
    assert me(client, confirmed.get_json()["token"]).get_json()["user"]["username"] == "dave"
    assert client.post("/api/tokens", json={"username": "dave", "password": PASSWORD}).status_code == 201


@pytest.mark.parametrize("app_settings", EMAIL_ONLY)
def test_wrong_codes_are_counted_for_good_and_five_exhaust_the_code(client, caplog):
    register(client, email="dave@example.org")
    code = code_sent_to(caplog, "dave@example.org")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert error_of(confirm(client, "12 ab 56")) == (400, "invalid_code")
    refused = confirm(client, wrong)
    assert refused.get_json()["error"] == {"code": "wrong_code", "message": "That code is wrong (4 tries left)."}
    assert code_row().attempts == 1  # the request rolled back; its attempt did not
    for _ in range(4):
        assert error_of(confirm(client, wrong)) == (400, "wrong_code")
    assert error_of(confirm(client, code)) == (400, "code_exhausted")  # even the right one now
    assert db.session.get(User, code_row().user_id).confirmed_at is None


@pytest.mark.parametrize("app_settings", EMAIL_ONLY)
def test_an_expired_code_is_refused(client, caplog):
    register(client, email="dave@example.org")
    code = code_sent_to(caplog, "dave@example.org")
    row = code_row()
    assert timedelta(minutes=9) < row.expires_at - utcnow() <= timedelta(minutes=10)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert error_of(confirm(client, code)) == (400, "code_expired")


@pytest.mark.parametrize("app_settings", EMAIL_ONLY)
def test_resending_waits_a_minute_then_twice_as_long_each_time(client, caplog):
    register(client, email="dave@example.org")
    first = code_sent_to(caplog, "dave@example.org")
    resend = {"username": "dave", "password": PASSWORD}
    too_soon = client.post("/api/accounts/resend", json=resend)
    assert error_of(too_soon) == (429, "rate_limited") and 58 <= int(too_soon.headers["Retry-After"]) <= 60
    assert job_queue().queued_count() == 0
    row = code_row()
    row.next_send_at = utcnow()  # a minute later
    db.session.commit()
    again = client.post("/api/accounts/resend", json=resend)
    assert again.status_code == 202
    assert again.get_json()["confirmation"] == {"channel": "email", "sent_to": "d•••@example.org"}
    second = code_sent_to(caplog, "dave@example.org")
    assert 118 <= int(client.post("/api/accounts/resend", json=resend).headers["Retry-After"]) <= 120
    if second != first:  # one chance in a million that the new code is the old one
        assert error_of(confirm(client, first)) == (400, "wrong_code")
    assert confirm(client, second).status_code == 200


@pytest.mark.parametrize("app_settings", EMAIL_ONLY)
def test_the_wait_starts_over_after_an_hour_without_a_code(client, caplog):
    """The doubling slows a burst of codes; codes asked for long ago (lost mails, a reset asked for
    last month, or someone else asking for this account's reset now and then) must not make every
    later one wait an hour."""
    register(client, email="dave@example.org")
    code_sent_to(caplog, "dave@example.org")
    row = code_row()
    row.sends, row.next_send_at = 7, utcnow() - timedelta(hours=1)  # the last of seven, then an hour of quiet
    db.session.commit()
    resend = {"username": "dave", "password": PASSWORD}
    assert client.post("/api/accounts/resend", json=resend).status_code == 202
    assert 58 <= int(client.post("/api/accounts/resend", json=resend).headers["Retry-After"]) <= 60


def test_codes_are_stored_as_an_hmac_only(client, caplog):
    register(client, email="dave@example.org")
    code = code_sent_to(caplog, "dave@example.org")
    row = code_row()
    assert len(row.code_hash) == 64 and code not in row.code_hash
    assert row.code_hash != hashlib.sha256(code.encode()).hexdigest()


# REGISTRATION=closed and invite

@pytest.mark.parametrize("app_settings", [{"REGISTRATION": ("closed",)}])
def test_closed_registration_creates_nothing(client):
    before = database_rows()
    assert error_of(register(client)) == (403, "registration_closed")
    assert client.get("/register").status_code == 404
    assert "/register" not in client.get("/login").get_data(as_text=True)
    assert database_rows() == before


@pytest.mark.parametrize("app_settings", [{"REGISTRATION": ("invite",)}])
def test_invite_registration_needs_a_live_invitation(client, operator, app):
    from actions.registration import create_invite

    assert error_of(register(client)) == (400, "invalid_invite")
    assert error_of(register(client, invite="inv_made-up")) == (400, "invalid_invite")
    issued = create_invite(operator, uses=1)
    db.session.commit()
    assert register(client, invite=issued.code).status_code == 201
    assert error_of(register(client, username="erin", invite=issued.code)) == (400, "invalid_invite")  # used
    page = client.get(f"/register?invite={issued.code}").get_data(as_text=True)
    assert f'value="{issued.code}"' in page
    result = app.test_cli_runner().invoke(args=["create-invite", "--uses", "2"])
    code = re.search(r"Invitation code: (inv_\S+)", result.output).group(1)
    assert register(client, username="erin", invite=code).status_code == 201


def test_an_invite_field_is_checked_though_open_registration_needs_none(client):
    """Under `open` an invite is not redeemed, but a field that is not a code (a list, a control
    character) is refused as every other field is, and creates nothing (the REST fuzz found a list taken)."""
    before = database_rows()
    assert error_of(register(client, invite=[-1e308])) == (400, "invalid_invite")
    assert error_of(register(client, invite="inv_\x01")) == (400, "invalid_invite")
    assert database_rows() == before
    assert register(client, invite="inv_not-needed").status_code == 201


def test_operators_only_issue_invitations(alice):
    from actions.errors import Forbidden
    from actions.registration import create_invite

    with pytest.raises(Forbidden):
        create_invite(alice)


# login with an email or a phone; rehash on login

def test_log_in_with_the_email_or_the_phone(client):
    register_user("alice", PASSWORD, email="alice@example.org", phone="+14155550123")
    for login in ("ALICE@example.org", "+1 415 555 0123", "+14155550123", "alice"):
        response = client.post("/api/tokens", json={"username": login, "password": PASSWORD})
        assert response.status_code == 201, login
    assert error_of(client.post("/api/tokens", json={"username": "bob@example.org", "password": PASSWORD})) == (
        401, "invalid_credentials")


def test_login_rehashes_a_password_hashed_with_older_parameters(client, app, alice):
    old_hash = alice.password_hash
    assert old_hash.startswith("pbkdf2:sha256:1$")
    assert client.post("/api/tokens", json={"username": "alice", "password": PASSWORD}).status_code == 201
    db.session.expire_all()
    assert db.session.get(User, alice.id).password_hash == old_hash  # current: left alone
    app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:2"
    assert error_of(client.post("/api/tokens", json={"username": "alice", "password": "wrong password"})) == (
        401, "invalid_credentials")
    db.session.expire_all()
    assert db.session.get(User, alice.id).password_hash == old_hash  # only a right password is rehashed
    assert client.post("/api/tokens", json={"username": "alice", "password": PASSWORD}).status_code == 201
    db.session.expire_all()
    new_hash = db.session.get(User, alice.id).password_hash
    assert new_hash.startswith("pbkdf2:sha256:2$") and db.session.get(User, alice.id).check_password(PASSWORD)


def test_the_full_form_of_each_hash_method():
    from models.user import full_hash_method

    assert full_hash_method("scrypt") == "scrypt:32768:8:1"
    assert full_hash_method("scrypt:16384") == "scrypt:16384:8:1"
    assert full_hash_method("pbkdf2:sha256:1") == "pbkdf2:sha256:1"
    assert full_hash_method("pbkdf2").startswith("pbkdf2:sha256:")


# password reset by code

def reset(client, login: str, code: str, password: str = "brand new secret"):
    return client.post("/api/password-reset/confirm", json={"login": login, "code": code, "password": password})


def test_password_reset_by_code_replaces_the_password_and_ends_every_token(client, caplog):
    alice = register_user("alice", PASSWORD, email="alice@example.org")
    db.session.commit()
    old_token = bearer(alice)
    db.session.commit()
    asked = client.post("/api/password-reset", json={"login": "Alice"})
    unknown = client.post("/api/password-reset", json={"login": "nobody@example.org"})
    assert (asked.status_code, asked.get_json()) == (unknown.status_code, unknown.get_json()) == (202, {"ok": True})
    code = code_sent_to(caplog, "alice@example.org")  # one message: none for the unknown account
    assert error_of(reset(client, "alice", code, "password123")) == (400, "common_password")
    assert error_of(reset(client, "alice", "000000" if code != "000000" else "000001")) == (400, "wrong_code")
    assert error_of(reset(client, "nobody@example.org", code)) == (400, "wrong_code")
    done = reset(client, "alice@example.org", code)
    assert done.status_code == 200
    assert me(client, old_token["Authorization"].split()[1]).status_code == 401
    assert me(client, done.get_json()["token"]).status_code == 200
    assert client.post("/api/tokens", json={"username": "alice", "password": "brand new secret"}).status_code == 201
    assert error_of(reset(client, "alice", code)) == (400, "wrong_code")  # used


def test_a_reset_code_stops_working_once_the_password_is_changed_otherwise(client, operator, caplog):
    """The owner who changes the password (or an operator who resets it) shuts out whoever holds a
    reset code asked for before: it would set a password of their choosing and end the owner's sessions."""
    from actions.passwords import change_password
    from actions.user_admin import reset_password

    alice = register_user("alice", PASSWORD, email="alice@example.org")
    db.session.commit()
    client.post("/api/password-reset", json={"login": "alice"})
    code = code_sent_to(caplog, "alice@example.org")
    change_password(alice, PASSWORD, "the owner's new secret")
    assert error_of(reset(client, "alice", code)) == (400, "wrong_code")
    assert db.session.get(User, alice.id).check_password("the owner's new secret")
    row = db.session.execute(db.select(AccountCode)).scalar_one()
    row.next_send_at = utcnow()  # later: a new code may be asked for
    db.session.commit()
    client.post("/api/password-reset", json={"login": "alice"})
    code = code_sent_to(caplog, "alice@example.org")
    reset_password(operator, alice.id, "a temporary secret")
    assert error_of(reset(client, "alice", code)) == (400, "wrong_code")
    assert db.session.get(User, alice.id).check_password("a temporary secret")


def test_a_second_reset_code_asked_too_soon_is_silently_not_sent(client, caplog):
    register_user("alice", PASSWORD, email="alice@example.org")
    db.session.commit()
    assert client.post("/api/password-reset", json={"login": "alice"}).status_code == 202
    assert client.post("/api/password-reset", json={"login": "alice"}).get_json() == {"ok": True}
    assert len(sent_messages(caplog)) == 1


def test_sign_ups_with_someone_elses_address_do_not_stop_their_reset_codes(client, caplog):
    """Each sign-up with a taken address sends its owner a notice, counted per address
    (CODE_RESENDS_PER_HOUR); six of them an hour, from one client, must not use up what the
    owner's own password reset needs, or the owner could not get back in for as long as it lasts."""
    register_user("alice", PASSWORD, email="alice@example.org")
    db.session.commit()
    for number in range(6):
        assert register(client, username=f"mallory{number}", email="alice@example.org").status_code == 201
    assert len(sent_messages(caplog)) == 6  # the notices
    assert client.post("/api/password-reset", json={"login": "alice"}).status_code == 202
    (message,) = sent_messages(caplog)
    assert message.startswith("email to alice@example.org (reset): ")


def test_no_reset_code_goes_to_an_unconfirmed_address(client, caplog):
    user = register_user("alice", PASSWORD, email="alice@example.org")
    user.email_confirmed_at = None  # as accounts from before this change: their email was never checked
    db.session.commit()
    assert client.post("/api/password-reset", json={"login": "alice@example.org"}).status_code == 202
    assert sent_messages(caplog) == []


def test_a_reset_request_looks_the_account_up_after_the_answer(client, app, alice):
    """The request only queues the look-up: known and unknown logins do the same work before the answer."""
    queued = []
    for login in ("alice", "nobody"):
        assert client.post("/api/password-reset", json={"login": login}).status_code == 202
        queued += [(job.name, job.arguments) for job in job_queue().queued(10)]
        job_queue().huey.flush()
    assert [(name, arguments[:2]) for name, arguments in queued] == [(send_reset_code.name, ("alice", "en")),
                                                                      (send_reset_code.name, ("nobody", "en"))]


def test_a_reset_asked_for_before_a_password_change_sends_no_code(client, operator, caplog):
    """The job that looks the account up (or the one that makes the code) may run after the owner
    changed the password, or an operator reset it: the code it would send was asked for before, and
    must not undo that change (as a code sent before: withdraw_code). Nothing is sent."""
    from actions.passwords import change_password
    from actions.user_admin import reset_password

    alice = register_user("alice", PASSWORD, email="alice@example.org")
    db.session.commit()
    client.post("/api/password-reset", json={"login": "alice"})  # its job waits in the queue
    change_password(alice, PASSWORD, "the owner's new secret")
    assert sent_messages(caplog) == []
    client.post("/api/password-reset", json={"login": "alice"})
    queue = job_queue()
    for job in [job for job in queue.queued(100) if job.name == send_reset_code.name]:
        send_reset_code(*job.arguments)  # the account was looked up; the code job waits
    waiting = [job for job in queue.queued(100) if job.name != send_reset_code.name]
    queue.huey.flush()
    assert [job.name for job in waiting] == [send_account_code.name]
    reset_password(operator, alice.id, "a temporary secret")
    queue.huey.flush()
    with caplog.at_level(logging.INFO, logger="notify.console"):
        caplog.clear()
        send_account_code(*waiting[0].arguments)
    assert [record.getMessage() for record in caplog.records if record.name == "notify.console"] == []
    assert code_row("alice", "reset").code_hash is None
    row = code_row("alice", "reset")
    row.next_send_at = utcnow()  # later: a reset asked for now works
    db.session.commit()
    client.post("/api/password-reset", json={"login": "alice"})
    assert reset(client, "alice", code_sent_to(caplog, "alice@example.org")).status_code == 200


def test_codes_sent_to_a_replaced_address_stop_working(client, operator, caplog):
    """A reset code the old mailbox got, once the owner's new address is confirmed, and a confirmation
    waiting for an address an operator did not keep: whoever reads that mailbox gets nothing from it."""
    from actions.user_admin import edit_user

    register_user("alice", PASSWORD, email="old@example.org")
    db.session.commit()
    client.post("/api/password-reset", json={"login": "alice"})
    old_code = code_sent_to(caplog, "old@example.org")
    moved = client.post("/api/accounts/resend", json={"username": "alice", "password": PASSWORD,
                                                      "email": "new@example.org"})
    assert moved.status_code == 202
    messages = sent_messages(caplog)
    assert confirm(client, CODE.search(messages[0]).group(1), "alice").status_code == 200
    assert error_of(reset(client, "old@example.org", old_code)) == (400, "wrong_code")
    assert error_of(reset(client, "alice", old_code)) == (400, "wrong_code")
    alice = db.session.execute(db.select(User).where(User.username == "alice")).scalar_one()
    sent_messages(caplog)  # the old address is told of the change
    client.post("/api/accounts/resend", json={"username": "alice", "password": PASSWORD,
                                              "email": "mallory@example.org"})
    pending = code_sent_to(caplog, "mallory@example.org")
    edit_user(operator, alice.id, "alice", "Alice", "alice@example.org", None)
    sent_messages(caplog)
    assert error_of(confirm(client, pending, "alice")) == (400, "wrong_code")
    assert db.session.get(User, alice.id).email == "alice@example.org"


def test_anonymous_reset_requests_never_keep_the_owner_from_a_code_long(client, caplog):
    """Anyone may ask for an account's reset code. Asked again and again (each time the wait is
    over), the wait doubles but never outlasts a code (10 minutes), and no hourly count stops the
    owner: ten minutes after the last one anyone asked for, the owner gets a new code."""
    register_user("alice", PASSWORD, email="alice@example.org")
    db.session.commit()
    waits = []
    for number in range(8):  # from many clients (PASSWORD_RESETS_PER_HOUR counts per client)
        asked = client.post("/api/password-reset", json={"login": ("alice", "alice@example.org")[number % 2]},
                            environ_base={"REMOTE_ADDR": f"203.0.113.{number}"})
        assert asked.status_code == 202
        assert len(sent_messages(caplog)) == 1
        row = code_row("alice", "reset")
        waits.append(round((row.next_send_at - utcnow()).total_seconds() / 60))
        row.next_send_at = utcnow()  # the asker waits it out
        db.session.commit()
    assert waits == [1, 2, 4, 8, 10, 10, 10, 10]
    client.post("/api/password-reset", json={"login": "alice"})
    assert reset(client, "alice", code_sent_to(caplog, "alice@example.org")).status_code == 200


def test_a_reset_by_phone_sends_the_code_to_the_phone(client, caplog):
    register_user("alice", PASSWORD, email="alice@example.org", phone="+14155550123")
    db.session.commit()
    client.post("/api/password-reset", json={"login": "+1 415 555 0123"})
    code = code_sent_to(caplog, "+14155550123")
    assert reset(client, "+14155550123", code).status_code == 200
    assert len(db.session.execute(db.select(ApiToken).where(ApiToken.revoked_at.is_(None))).all()) == 1


@pytest.mark.parametrize("app_settings", EMAIL_ONLY)
def test_accounts_never_confirmed_are_deleted_after_a_week(client, alice):
    from actions.registration import purge_unconfirmed_accounts

    register(client, email="dave@example.org")
    register(client, username="erin", email="erin@example.org")
    dave = db.session.execute(db.select(User).where(User.username == "dave")).scalar_one()
    dave.created_at = utcnow() - timedelta(days=7, minutes=1)
    alice.created_at = utcnow() - timedelta(days=30)  # confirmed: kept however old
    db.session.commit()
    purge_unconfirmed_accounts()
    db.session.expire_all()
    assert sorted(db.session.execute(db.select(User.username)).scalars()) == ["alice", "erin"]
    assert db.session.execute(db.select(AccountCode.address)).scalars().all() == ["erin@example.org"]
    assert register(client, email="dave@example.org").status_code == 202  # the username is free again


@pytest.mark.parametrize("app_settings", EMAIL_ONLY)
def test_a_mistyped_address_is_replaced_by_a_resend_to_another(client, caplog):
    register(client, email="dave@exmaple.org")
    code_sent_to(caplog, "dave@exmaple.org")
    resend = {"username": "dave", "password": PASSWORD, "email": "dave@example.org"}
    assert error_of(client.post("/api/accounts/resend", json=resend)) == (429, "rate_limited")  # the wait holds
    assert error_of(client.post("/api/accounts/resend", json={**resend, "email": None, "phone": "+14155550123"})) == (
        400, "address_required")  # REGISTRATION=email: a phone will not do
    row = code_row()
    row.next_send_at = utcnow()
    db.session.commit()
    answer = client.post("/api/accounts/resend", json=resend)
    assert answer.get_json()["confirmation"] == {"channel": "email", "sent_to": "d•••@example.org"}
    assert confirm(client, code_sent_to(caplog, "dave@example.org")).status_code == 200
    db.session.expire_all()
    assert db.session.execute(db.select(User.email)).scalar_one() == "dave@example.org"


def test_adding_an_address_through_the_api_takes_the_second_factor(client, alice, caplog):
    import pyotp

    from actions.two_factor import confirm_enrolment, start_enrolment

    secret = start_enrolment(alice).secret
    confirm_enrolment(alice, PASSWORD, pyotp.TOTP(secret).now())
    db.session.commit()
    # Someone with alice's password only: no code goes to their address, no token comes back.
    add = {"username": "alice", "password": PASSWORD, "email": "mallory@example.org"}
    assert error_of(client.post("/api/accounts/resend", json=add)) == (401, "two_factor_required")
    assert job_queue().queued_count() == 0
    next_code = pyotp.TOTP(secret).at(time.time() + 30)  # the enrolment's code is used already
    assert client.post("/api/accounts/resend", json={**add, "totp": next_code}).status_code == 202
    code = code_sent_to(caplog, "mallory@example.org")
    assert error_of(confirm(client, code, "alice")) == (401, "two_factor_required")
    assert db.session.get(User, alice.id).email is None


def test_an_address_an_operator_replaces_is_told_of_the_change(operator, caplog):
    """As when the owner replaces it (confirm_address): the owner reading the old mailbox learns that codes
    and password resets go elsewhere now. An operator's edit is the way an account is taken by talking an
    operator into it ("I lost my mailbox, it is new@…"), and told nothing before. A first address, or the
    same one, tells nobody."""
    from actions.user_admin import edit_user

    alice = register_user("alice", PASSWORD, email="alice@example.org", phone=None)
    alice.email_confirmed_at = utcnow()
    db.session.commit()
    sent_messages(caplog)
    edit_user(operator, alice.id, "alice", "Alice", "new@example.org", None)
    (notice,) = sent_messages(caplog)
    assert notice.startswith("email to alice@example.org (changed): ") and "n•••@example.org" in notice
    edit_user(operator, alice.id, "alice", "Alice B", "new@example.org", "+14155550123")
    assert sent_messages(caplog) == []
