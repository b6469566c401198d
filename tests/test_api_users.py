"""blueprints/api/users.py: finding people to chat with."""
import pytest

from extensions import db
from models.time import utcnow
from payloads import user_payload
from tests.helpers import bearer, error_of


def usernames(response) -> list[str]:
    assert response.status_code == 200
    return [user["username"] for user in response.get_json()["users"]]


def test_search_finds_active_users_but_not_the_searcher(client, alice, bob, carol):
    headers = bearer(alice)
    assert usernames(client.get("/api/users", headers=headers)) == ["bob", "carol"]
    assert usernames(client.get("/api/users?q=CAR", headers=headers)) == ["carol"]
    assert usernames(client.get("/api/users?q=ali", headers=headers)) == []
    assert usernames(client.get("/api/users?limit=1", headers=headers)) == ["bob"]
    carol.active = False
    db.session.commit()
    assert usernames(client.get("/api/users", headers=headers)) == ["bob"]


@pytest.mark.parametrize("query", ["Émile", "émile", "ÉMILE", "Привет", "привет"])
def test_search_finds_a_display_name_as_written_and_in_any_case(client, alice, bob, query):
    """On SQLite the query was lowercased in Python (Unicode) and the display name by SQLite's lower() (ASCII
    only): "Émile Привет" was not found even typed as it is written."""
    bob.display_name = "Émile Привет"
    db.session.commit()
    assert usernames(client.get("/api/users", query_string={"q": query}, headers=bearer(alice))) == ["bob"]


def test_search_answers_with_user_payloads(client, alice, bob):
    body = client.get("/api/users?q=bob", headers=bearer(alice)).get_json()
    assert body == {"ok": True, "users": [{"id": bob.id, "username": "bob", "display_name": "Bob",
                                           "avatar_url": user_payload(bob)["avatar_url"], "has_avatar": False}]}


def test_search_does_not_say_who_the_operators_are_or_when_people_were_last_seen(client, alice, operator):
    operator.last_seen_at = utcnow()
    db.session.commit()
    (found,) = client.get("/api/users?q=operator", headers=bearer(alice)).get_json()["users"]
    assert found == {"id": operator.id, "username": "operator", "display_name": "Operator",
                     "avatar_url": user_payload(operator)["avatar_url"], "has_avatar": False}


@pytest.mark.parametrize("query, code", [
    ("limit=0", "invalid_limit"),
    ("limit=101", "invalid_limit"),
    ("limit=ten", "invalid_limit"),
    ("q=" + "x" * 65, "invalid_q"),
])
def test_search_refuses_bad_parameters(client, alice, query, code):
    assert error_of(client.get(f"/api/users?{query}", headers=bearer(alice))) == (400, code)


def test_search_needs_a_user(client, alice):
    assert error_of(client.get("/api/users")) == (401, "unauthorized")
