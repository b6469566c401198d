"""blueprints/api/__init__.py: who may call the API (bearer token or session cookie + CSRF header),
the JSON body rule, and the JSON error format."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from actions.accounts import issue_api_token, revoke_api_token
from extensions import db
from models import ApiToken, Conversation
from models.time import utcnow
from tests.factories import PASSWORD
from tests.helpers import bearer, database_rows, error_of

# Registration and recovery are for people who cannot log in yet (blueprints/api/accounts.py).
PUBLIC_ENDPOINTS = {"api.create_token", "api.create_account", "api.openapi", "api.confirm_account", "api.resend_code",
                    "api.ask_password_reset", "api.confirm_password_reset"}


def api_routes(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) of every route of the API blueprint, with 1 for each id."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        url = re.sub(r"<id:\w+>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, url))
    return routes


def answers(client, routes, **kwargs) -> set[tuple[str, int, str]]:
    return {(endpoint, *error_of(client.open(url, method=method, json={}, **kwargs)))
            for endpoint, method, url in routes}


def test_the_api_has_the_expected_routes(app):
    endpoints = {endpoint for endpoint, _, _ in api_routes(app)}
    assert {"api.me", "api.users", "api.conversations", "api.conversation", "api.members", "api.history",
            "api.changes", "api.send", "api.read", "api.edit", "api.delete", "api.open_direct", "api.create",
            "api.public_groups", "api.join", "api.leave", "api.update", "api.add", "api.remove", "api.set_role",
            "api.delete_current_token"} <= endpoints


def test_every_route_needs_a_user(app, client, alice):
    routes = api_routes(app)
    before = database_rows()
    assert answers(client, routes) == {(endpoint, 401, "unauthorized") for endpoint, _, _ in routes}
    assert database_rows() == before


@pytest.mark.parametrize("authorization", ["Bearer sbt_not-a-real-token", "Bearer nonsense", "bearer  sbt_x"])
def test_every_route_refuses_a_bad_token(app, client, alice, authorization):
    routes = api_routes(app)
    before = database_rows()
    assert answers(client, routes, headers={"Authorization": authorization}) == {
        (endpoint, 401, "invalid_token") for endpoint, _, _ in routes}
    assert database_rows() == before


def test_a_bad_token_is_refused_even_with_a_logged_in_session(client, auth, alice):
    auth.login()
    response = client.get("/api/me", headers={"Authorization": "Bearer sbt_wrong"})
    assert error_of(response) == (401, "invalid_token")


def test_other_authorization_schemes_count_as_no_token(client, alice):
    assert error_of(client.get("/api/me", headers={"Authorization": "Basic YWxpY2U6eA=="})) == (401, "unauthorized")


def test_revoked_and_deactivated_users_tokens_are_refused(client, alice, bob):
    revoked = issue_api_token(alice).token
    revoke_api_token(revoked)
    assert error_of(client.get("/api/me", headers={"Authorization": f"Bearer {revoked}"})) == (401, "invalid_token")
    headers = bearer(bob)
    assert client.get("/api/me", headers=headers).status_code == 200
    bob.active = False
    db.session.commit()
    assert error_of(client.get("/api/me", headers=headers)) == (401, "invalid_token")


def test_an_expired_token_is_refused(client, alice):
    issued = issue_api_token(alice)
    headers = {"Authorization": f"Bearer {issued.token}"}
    assert client.get("/api/me", headers=headers).status_code == 200
    issued.record.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert error_of(client.get("/api/me", headers=headers)) == (401, "invalid_token")


def test_a_tokens_request_notes_its_use_once_a_minute_has_passed(client, alice):
    issued = issue_api_token(alice)
    headers = {"Authorization": f"Bearer {issued.token}"}
    an_hour_ago = utcnow() - timedelta(hours=1)
    issued.record.last_used_at = an_hour_ago
    db.session.commit()
    assert client.get("/api/conversations", headers=headers).status_code == 200
    db.session.expire_all()
    noted = db.session.get(ApiToken, issued.record.id).last_used_at
    assert noted > an_hour_ago + timedelta(minutes=59)
    # Within the minute, the next request writes nothing more.
    assert client.get("/api/conversations", headers=headers).status_code == 200
    db.session.expire_all()
    assert db.session.get(ApiToken, issued.record.id).last_used_at == noted


def test_a_refused_request_notes_its_tokens_use_too_once_a_minute(client, alice):
    """A refused request changes nothing the caller asked for, but its token was used: that is noted, in a
    transaction of its own after the request's rolled back, and not again within the minute (a client
    whose requests are all refused would otherwise write at every one)."""
    issued = issue_api_token(alice)
    headers = {"Authorization": f"Bearer {issued.token}"}
    an_hour_ago = utcnow() - timedelta(hours=1)
    issued.record.last_used_at = an_hour_ago
    db.session.commit()
    before = database_rows()
    assert error_of(client.get("/api/conversations/999999", headers=headers)) == (404, "conversation_not_found")
    db.session.expire_all()
    noted = db.session.get(ApiToken, issued.record.id).last_used_at
    assert noted > an_hour_ago + timedelta(minutes=59)
    assert database_rows() == before  # nothing else
    writes: list[str] = []

    def watch(_connection, _cursor, statement, *_):
        if statement.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE")):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", watch)
    try:
        assert error_of(client.get("/api/conversations/999999", headers=headers)) == (404, "conversation_not_found")
        assert error_of(client.post("/api/groups", headers=headers, json={"name": ""}))[0] == 400
    finally:
        event.remove(db.engine, "before_cursor_execute", watch)
    assert writes == []
    db.session.expire_all()
    assert db.session.get(ApiToken, issued.record.id).last_used_at == noted


def test_bearer_token_and_session_cookie_both_identify_the_user(client, auth, alice, bob):
    assert client.get("/api/me", headers=bearer(bob)).get_json()["user"]["username"] == "bob"
    auth.login("alice")
    me = client.get("/api/me").get_json()
    assert me["ok"] and (me["user"]["id"], me["user"]["username"], me["user"]["display_name"]) == (
        alice.id, "alice", "Alice")
    # A bearer token wins over the cookie: it names its user explicitly.
    assert client.get("/api/me", headers=bearer(bob)).get_json()["user"]["username"] == "bob"


def test_a_deactivated_users_session_stops_at_the_next_request(client, auth, alice):
    auth.login()
    assert client.get("/api/me").status_code == 200
    alice.active = False
    db.session.commit()
    assert error_of(client.get("/api/me")) == (401, "unauthorized")


def test_cookie_writes_without_csrf_are_fine_when_csrf_is_off(client, auth, alice):
    auth.login()
    assert client.post("/api/groups", json={"name": "Team"}).status_code == 201


# CSRF: only cookie-authenticated writes need the header.

def csrf_token_of(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


@pytest.fixture
def csrf_client(app, client, alice):
    """A client logged in through the real form, with CSRF protection on; returns (client, token)."""
    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    page_token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").get_data(as_text=True)).group(1)
    return client, page_token


@pytest.mark.parametrize("app_settings", [{"WTF_CSRF_ENABLED": True}])
def test_cookie_writes_need_the_csrf_header(csrf_client, alice):
    client, token = csrf_client
    before = database_rows()
    assert error_of(client.post("/api/groups", json={"name": "Team"})) == (400, "csrf_failed")
    assert error_of(client.post("/api/groups", json={"name": "Team"}, headers={"X-CSRFToken": "forged"})) == (
        400, "csrf_failed")
    assert error_of(client.delete("/api/tokens/current")) == (400, "csrf_failed")
    assert database_rows() == before
    assert client.get("/api/me").status_code == 200  # reads need no token
    response = client.post("/api/groups", json={"name": "Team"}, headers={"X-CSRFToken": token})
    assert response.status_code == 201
    assert db.session.execute(db.select(Conversation.name)).scalars().all() == ["Team"]


@pytest.mark.parametrize("app_settings", [{"WTF_CSRF_ENABLED": True}])
def test_bearer_writes_need_no_csrf_header(app, alice):
    client = app.test_client()
    assert client.post("/api/groups", json={"name": "Team"}, headers=bearer(alice)).status_code == 201
    response = client.post("/api/tokens", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 201


# The body and the error format

@pytest.mark.parametrize("data, content_type", [
    ("{not json", "application/json"),
    ("[1, 2]", "application/json"),
    ('"text"', "application/json"),
    ("name=Team", "application/x-www-form-urlencoded"),
])
def test_a_body_that_is_not_a_json_object_is_refused(client, alice, data, content_type):
    headers = bearer(alice)
    before = database_rows()
    response = client.post("/api/groups", data=data, content_type=content_type, headers=headers)
    assert error_of(response) == (400, "invalid_json")
    assert database_rows() == before


def test_an_empty_body_counts_as_an_empty_object(client, alice):
    assert error_of(client.post("/api/groups", headers=bearer(alice))) == (400, "invalid_name")


def test_unknown_routes_and_methods_answer_json(client, alice):
    assert error_of(client.get("/api/nothing-here", headers=bearer(alice))) == (404, "not_found")
    assert error_of(client.put("/api/me", headers=bearer(alice))) == (405, "method_not_allowed")
