"""blueprints/api/tokens.py: registration, token exchange and revocation, who am I."""
from datetime import datetime, timedelta

import pytest

from extensions import db
from models import ApiToken, User
from models.time import utcnow
from tests.factories import PASSWORD
from tests.helpers import bearer, database_rows, error_of


def me(client, token: str):
    return client.get("/api/me", headers={"Authorization": f"Bearer {token}"})


# POST /api/accounts

def test_register_answers_with_the_user_and_a_working_token(client, app):
    response = client.post("/api/accounts", json={"username": "Dave", "password": PASSWORD,
                                                  "display_name": "Dave D", "email": "dave@example.org"})
    assert response.status_code == 201
    body = response.get_json()
    user = db.session.execute(db.select(User)).scalar_one()
    assert body["ok"] is True
    assert body["user"] == {"id": user.id, "username": "dave", "display_name": "Dave D"}
    expires = datetime.fromisoformat(body["expires_at"].rstrip("Z"))
    assert timedelta(days=app.config["API_TOKEN_DAYS"] - 1) < expires - utcnow() <= timedelta(
        days=app.config["API_TOKEN_DAYS"])
    assert me(client, body["token"]).get_json()["user"]["username"] == "dave"
    assert user.email == "dave@example.org" and user.role == "user"


def test_register_cannot_choose_a_role(client):
    response = client.post("/api/accounts", json={"username": "dave", "password": PASSWORD, "role": "admin"})
    assert response.status_code == 201 and db.session.get(User, response.get_json()["user"]["id"]).role == "user"


@pytest.mark.parametrize("payload, status, code", [
    ({"username": "ALICE", "password": PASSWORD}, 409, "username_taken"),
    ({"username": "dave", "password": PASSWORD, "email": "Alice@example.org"}, 409, "email_taken"),
    ({"username": "dave", "password": PASSWORD, "phone": "+1 555 000 1111"}, 409, "phone_taken"),
    ({"username": "dave", "password": "short"}, 400, "invalid_password"),
    ({"username": "d", "password": PASSWORD}, 400, "invalid_username"),
    ({"password": PASSWORD}, 400, "invalid_username"),
    ({"username": "dave", "password": PASSWORD, "email": "nope"}, 400, "invalid_email"),
    ({"username": "dave", "password": PASSWORD, "display_name": ["x"]}, 400, "invalid_display_name"),
])
def test_register_refusals_change_nothing(client, app, payload, status, code):
    from actions.accounts import register_user

    register_user("alice", PASSWORD, email="alice@example.org", phone="+15550001111")
    before = database_rows()
    assert error_of(client.post("/api/accounts", json=payload)) == (status, code)
    assert database_rows() == before


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
    assert body == {"ok": True, "user": {"id": operator.id, "username": "operator", "display_name": "Operator"}}
