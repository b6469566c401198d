"""actions.accounts: registration, authentication, API tokens, user search."""
import hashlib
from datetime import timedelta

import pytest

from actions.accounts import (
    TOKEN_PREFIX,
    authenticate,
    issue_api_token,
    live_token_holder,
    register_user,
    revoke_api_token,
    search_users,
    user_for_token,
)
from actions.errors import Conflict, InvalidInput, Unauthorized
from extensions import db
from models import ApiToken, User
from models.time import utcnow
from tests.factories import PASSWORD, make_group, make_user
from tests.helpers import database_rows


def deactivate(user: User) -> None:
    user.active = False
    db.session.commit()


# register_user

def test_register_normalizes_and_stores_the_account(app):
    user = register_user("  Dave_01 ", PASSWORD, display_name=" Dave ", email="Dave@Example.ORG",
                         phone="+44 (20) 7946-0958")
    stored = db.session.get(User, user.id)
    assert (stored.username, stored.display_name, stored.email, stored.phone) == (
        "dave_01", "Dave", "dave@example.org", "+442079460958")
    assert (stored.role, stored.active, stored.must_change_password) == ("user", True, False)
    assert stored.created_at is not None and stored.last_seen_at is None


def test_register_defaults_the_display_name_to_the_username(app):
    assert register_user("Erin", PASSWORD).display_name == "erin"


def test_password_is_stored_as_a_current_hash(app):
    user = register_user("dave", PASSWORD)
    assert user.password_hash != PASSWORD and PASSWORD not in user.password_hash
    assert user.password_hash.startswith("pbkdf2:sha256:1$")  # the tests' PASSWORD_HASH_METHOD (see test_models)
    assert user.check_password(PASSWORD) and not user.check_password(PASSWORD + "!")
    assert register_user("erin", PASSWORD).password_hash != user.password_hash  # salted


@pytest.mark.parametrize("first, second, code", [
    ({"username": "dave"}, {"username": "DAVE"}, "username_taken"),
    ({"username": "dave", "email": "dave@example.org"}, {"username": "erin", "email": "DAVE@example.org "},
     "email_taken"),
    ({"username": "dave", "phone": "+14155550123"}, {"username": "erin", "phone": "+1 415 555-0123"},
     "phone_taken"),
])
def test_usernames_emails_and_phones_are_unique(app, first, second, code):
    register_user(password=PASSWORD, **first)
    before = database_rows()
    with pytest.raises(Conflict) as raised:
        register_user(password=PASSWORD, **second)
    assert (raised.value.code, raised.value.status) == (code, 409)
    assert database_rows() == before


@pytest.mark.parametrize("username, password, code", [
    ("ab", PASSWORD, "invalid_username"),
    ("dave", "short", "invalid_password"),
    ("dave", None, "invalid_password"),
    ("dave", "x" * 129, "invalid_password"),
])
def test_register_refuses_bad_input_and_stores_nothing(app, username, password, code):
    with pytest.raises(InvalidInput) as raised:
        register_user(username, password)
    assert raised.value.code == code
    assert db.session.execute(db.select(User)).all() == []


def test_register_refuses_a_bad_email_or_phone(app):
    with pytest.raises(InvalidInput, match="email"):
        register_user("dave", PASSWORD, email="not-an-address")
    with pytest.raises(InvalidInput, match="phone"):
        register_user("dave", PASSWORD, phone="12")
    assert db.session.execute(db.select(User)).all() == []


# authenticate

def test_authenticate_accepts_any_case_of_the_username(alice):
    assert authenticate("alice", PASSWORD).id == alice.id
    assert authenticate("  ALICE ", PASSWORD).id == alice.id


@pytest.mark.parametrize("username, password", [
    ("alice", "wrong password"), ("nobody", PASSWORD), ("alice", ""), (None, PASSWORD), ("alice", 12345678),
])
def test_authenticate_gives_one_vague_error(alice, username, password):
    with pytest.raises(Unauthorized) as raised:
        authenticate(username, password)
    assert raised.value.as_dict() == {"code": "invalid_credentials", "message": "Wrong username or password."}
    assert raised.value.status == 401


def test_authenticate_refuses_a_deactivated_user(alice):
    deactivate(alice)
    with pytest.raises(Unauthorized) as raised:
        authenticate("alice", PASSWORD)
    assert raised.value.code == "account_deactivated"


def test_deactivated_user_with_a_wrong_password_learns_nothing_more(alice):
    deactivate(alice)
    with pytest.raises(Unauthorized) as raised:
        authenticate("alice", "wrong password")
    assert raised.value.code == "invalid_credentials"


# API tokens

def test_issued_token_is_stored_only_as_its_hash(app, alice):
    issued = issue_api_token(alice, name="laptop")
    assert issued.token.startswith(TOKEN_PREFIX) and len(issued.token) > 40
    record = db.session.get(ApiToken, issued.record.id)
    assert record.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert (record.user_id, record.name, record.revoked_at) == (alice.id, "laptop", None)
    stored_values = [value for row in database_rows()["api_tokens"] for value in row]
    assert not any(isinstance(value, str) and issued.token in value for value in stored_values)
    assert user_for_token(issued.token).id == alice.id


def test_tokens_expire_after_the_configured_days(app, alice):
    issued = issue_api_token(alice)
    lifetime = issued.record.expires_at - utcnow()
    assert timedelta(days=app.config["API_TOKEN_DAYS"]) - timedelta(minutes=1) < lifetime
    assert lifetime <= timedelta(days=app.config["API_TOKEN_DAYS"])
    issued.record.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert user_for_token(issued.token) is None


def test_revoked_token_is_refused(alice):
    issued = issue_api_token(alice)
    other = issue_api_token(alice)
    assert revoke_api_token(issued.token) is True
    assert db.session.get(ApiToken, issued.record.id).revoked_at is not None
    assert user_for_token(issued.token) is None
    assert revoke_api_token(issued.token) is False
    assert revoke_api_token(TOKEN_PREFIX + "never-issued") is False
    assert user_for_token(other.token).id == alice.id  # revoking one token leaves the others


def test_deactivated_users_token_is_refused(alice):
    issued = issue_api_token(alice)
    deactivate(alice)
    assert user_for_token(issued.token) is None


@pytest.mark.parametrize("token", [None, 42, "", "not-a-token", TOKEN_PREFIX + "x" * 200, TOKEN_PREFIX + "unknown"])
def test_malformed_or_unknown_tokens_are_refused(alice, token):
    issue_api_token(alice)
    assert user_for_token(token) is None


def test_a_token_holder_is_read_with_the_conversations_its_user_may_read(alice, bob, carol):
    """A socket's connect reads the token, its user and its rooms in one statement: every conversation
    the user is a member of, none of anyone else's, and none at all for a user in none."""
    team, other = make_group(alice, "Team", [bob]), make_group(bob, "Other", [alice])
    make_group(carol, "Carol's", [bob])
    holder = live_token_holder(issue_api_token(alice).token)
    assert (holder.user_id, sorted(holder.readable_conversation_ids)) == (alice.id, sorted([team.id, other.id]))
    assert live_token_holder(issue_api_token(make_user("dave")).token).readable_conversation_ids == ()
    issued = issue_api_token(alice)
    revoke_api_token(issued.token)
    assert live_token_holder(issued.token) is None  # rooms or not, a dead token opens nothing


# search_users

def test_search_matches_username_or_display_name(app, alice, bob, carol):
    dave = register_user("dave", PASSWORD, display_name="Bobby Tables")
    assert [user.username for user in search_users("BOB")] == ["bob", "dave"]
    assert [user.username for user in search_users("tables")] == ["dave"]
    assert [user.username for user in search_users("")] == ["alice", "bob", "carol", "dave"]
    assert [user.username for user in search_users("", exclude_user_id=bob.id)] == ["alice", "carol", "dave"]
    assert [user.username for user in search_users("", limit=2)] == ["alice", "bob"]
    assert search_users("zzz") == []
    assert dave.id  # registered


def test_search_skips_deactivated_users(alice, bob):
    deactivate(bob)
    assert [user.username for user in search_users("")] == ["alice"]


def test_search_treats_wildcards_as_text(alice, bob):
    make_user("a_b")
    register_user("dave", PASSWORD, display_name="100% Dave")
    assert search_users("l%c") == []
    assert [user.username for user in search_users("a_b")] == ["a_b"]
    assert [user.username for user in search_users("_")] == ["a_b"]
    assert [user.username for user in search_users("0% d")] == ["dave"]
    assert [user.username for user in search_users("%")] == ["dave"]


def test_search_refuses_overlong_queries(alice):
    with pytest.raises(InvalidInput) as raised:
        search_users("x" * 65)
    assert raised.value.code == "invalid_q"
