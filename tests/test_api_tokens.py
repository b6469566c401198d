"""blueprints/api/tokens.py: token exchange and revocation, who am I (registration: test_api_accounts.py)."""

import pytest

from extensions import db
from models import ApiToken
from payloads import profile_payload
from tests.factories import PASSWORD
from tests.helpers import bearer, database_rows, error_of


def me(client, token: str):
    return client.get("/api/me", headers={"Authorization": f"Bearer {token}"})


# POST /api/tokens

def test_exchange_credentials_for_a_named_token(client, alice):
    response = client.post("/api/tokens", json={"username": "Alice", "password": PASSWORD, "name": "laptop"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["user"]["id"] == alice.id
    record = db.session.execute(db.select(ApiToken)).scalar_one()
    assert (record.name, record.user_id) == ("laptop", alice.id)
    assert record.token_hash != body["token"]
    assert me(client, body["token"]).status_code == 200


@pytest.mark.parametrize("payload, code", [
    ({"username": "alice", "password": "wrong password"}, "invalid_credentials"),
    ({"username": "nobody", "password": PASSWORD}, "invalid_credentials"),
    ({"username": "alice"}, "invalid_credentials"),
    ({}, "invalid_credentials"),
    ({"username": ["alice"], "password": PASSWORD}, "invalid_credentials"),
])
def test_wrong_credentials_get_no_token(client, alice, payload, code):
    before = database_rows()
    assert error_of(client.post("/api/tokens", json=payload)) == (401, code)
    assert database_rows() == before


@pytest.mark.parametrize("extra", [{"expires": 7}, {"scope": "read"}])
def test_a_field_the_token_request_does_not_take_gets_no_token(client, alice, extra):
    """`expires` for `expires_in_days` was ignored: a token of API_TOKEN_DAYS came back. It is 400
    invalid_field now (docs/protocol.md, Input), and no token is made."""
    before = database_rows()
    response = client.post("/api/tokens", json={"username": "alice", "password": PASSWORD, **extra})
    assert error_of(response) == (400, "invalid_field")
    assert database_rows() == before


def test_deactivated_user_gets_no_token(client, alice):
    alice.active = False
    db.session.commit()
    before = database_rows()
    assert error_of(client.post("/api/tokens", json={"username": "alice", "password": PASSWORD})) == (
        401, "account_deactivated")
    assert database_rows() == before


def test_token_name_is_checked(client, alice):
    before = database_rows()
    response = client.post("/api/tokens", json={"username": "alice", "password": PASSWORD, "name": "x" * 65})
    assert error_of(response) == (400, "invalid_name")
    assert database_rows() == before


@pytest.mark.parametrize("name", [False, 0, [], 5])
def test_a_name_that_is_not_text_is_refused(client, alice, name):
    """Input: a field of the wrong type is 400 invalid_name, a falsy one too (it was taken as no name)."""
    before = database_rows()
    response = client.post("/api/tokens", json={"username": "alice", "password": PASSWORD, "name": name})
    assert error_of(response) == (400, "invalid_name")
    assert database_rows() == before


@pytest.mark.parametrize("name", [None, "", "   "])
def test_no_name_is_the_default_one(client, alice, name):
    """Input: text of whitespace only is empty, and an empty optional field takes its default ("api"), as "" did."""
    response = client.post("/api/tokens", json={"username": "alice", "password": PASSWORD, "name": name})
    assert response.status_code == 201
    assert ApiToken.query.one().name == "api"


# DELETE /api/tokens/current

def test_revoke_the_current_token(client, alice):
    token = client.post("/api/tokens", json={"username": "alice", "password": PASSWORD}).get_json()["token"]
    other = bearer(alice)
    response = client.delete("/api/tokens/current", headers={"Authorization": f"Bearer {token}"})
    assert response.get_json() == {"ok": True, "revoked": True}
    assert error_of(me(client, token)) == (401, "invalid_token")
    assert error_of(client.delete("/api/tokens/current", headers={"Authorization": f"Bearer {token}"})) == (
        401, "invalid_token")
    assert client.get("/api/me", headers=other).status_code == 200


def test_revoke_with_a_session_cookie_revokes_nothing(client, auth, alice):
    bearer(alice)
    auth.login()
    before = database_rows()
    assert client.delete("/api/tokens/current").get_json() == {"ok": True, "revoked": False}
    assert database_rows() == before


# GET /api/me

def test_me(client, operator):
    body = client.get("/api/me", headers=bearer(operator)).get_json()
    assert body == {"ok": True, "user": profile_payload(operator, online=False)}  # no socket of theirs
    assert body["user"]["username"] == "operator" and body["user"]["display_name"] == "Operator"
