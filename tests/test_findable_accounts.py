"""Who can be found (models.user.User.findable): an account nobody can use yet (its address waits for its
code) or any more (deactivated, suspended) is not offered as someone to talk to, on any path that finds
a person — the user search, a profile, picture or presence by id, a contact request, a direct chat, adding
to a group, an operator's notice — and is answered as no account at all (404 `user_not_found`)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from extensions import db
from models.time import utcnow
from tests.factories import make_group, make_user
from tests.helpers import bearer, error_of

STATES = ("unconfirmed", "deactivated", "suspended")


def put_in_state(user, state: str) -> None:
    if state == "unconfirmed":
        user.confirmed_at = None
    else:
        user.active, user.deactivated_at = False, utcnow()
        if state == "suspended":
            user.suspended_until, user.suspension_reason = utcnow() + timedelta(days=3), "spam"
    db.session.commit()


@pytest.fixture
def headers(alice):
    return bearer(alice)


@pytest.fixture(params=STATES)
def state(request) -> str:
    return request.param


@pytest.fixture
def hidden(app, state):
    user = make_user("hidden_one")
    user.email = "hidden@example.com"
    db.session.commit()
    put_in_state(user, state)
    return user


def test_the_user_search_leaves_them_out(client, headers, hidden, bob):
    for query in ("", "hidden"):
        found = client.get(f"/api/users?q={query}", headers=headers).get_json()["users"]
        assert hidden.id not in [user["id"] for user in found]
    assert [user["id"] for user in client.get("/api/users?q=bob", headers=headers).get_json()["users"]] == [bob.id]


def test_profile_picture_and_presence_by_id_are_not_found(client, headers, hidden, bob):
    for path in (f"/api/users/{hidden.id}", f"/api/users/{hidden.id}/avatar", f"/api/users/{hidden.id}/presence"):
        assert error_of(client.get(path, headers=headers)) == (404, "user_not_found"), path
    assert client.get(f"/api/users/{bob.id}/avatar", headers=headers).status_code == 200
    answer = client.get(f"/api/presence?user_ids={hidden.id},{bob.id}", headers=headers).get_json()
    assert [entry["user_id"] for entry in answer["presence"]] == [bob.id]


def test_a_contact_request_does_not_find_them(client, headers, hidden):
    for address in ({"username": "hidden_one"}, {"email": "hidden@example.com"}):
        assert error_of(client.post("/api/contacts/requests", headers=headers, json=address)) == \
            (404, "user_not_found"), address


def test_no_direct_chat_and_no_group_takes_them(client, headers, alice, hidden):
    assert error_of(client.post("/api/direct", headers=headers, json={"user_id": hidden.id})) == (404, "user_not_found")
    assert error_of(client.post("/api/groups", headers=headers, json={"name": "G", "member_ids": [hidden.id]})) == \
        (404, "user_not_found")
    group = make_group(alice)
    assert error_of(client.post(f"/api/groups/{group.id}/members", headers=headers, json={"user_id": hidden.id})) \
        == (404, "user_not_found")


def test_an_unconfirmed_account_cannot_be_blocked_as_it_cannot_be_met(client, headers, hidden):
    answer = client.post("/api/blocks", headers=headers, json={"user_id": hidden.id})
    if hidden.confirmed_at is None:
        assert error_of(answer) == (404, "user_not_found")
    else:  # met in a conversation before, and a ban may be lifted or a suspension end
        assert answer.status_code == 201


def test_once_confirmed_the_account_is_found(client, headers, app):
    user = make_user("late_one")
    put_in_state(user, "unconfirmed")
    assert error_of(client.get(f"/api/users/{user.id}", headers=headers)) == (404, "user_not_found")
    user.confirmed_at = utcnow()
    db.session.commit()
    assert client.get(f"/api/users/{user.id}", headers=headers).status_code == 200
    assert [found["id"] for found in client.get("/api/users?q=late", headers=headers).get_json()["users"]] == [user.id]
    assert client.post("/api/contacts/requests", headers=headers, json={"username": "late_one"}).status_code == 201


def test_their_picture_still_shows_where_they_are_a_member(client, headers, alice, bob, state):
    """A member deactivated or suspended (or never confirmed, from before they were hidden) keeps their name
    and picture by their messages and in the member list: the picture's URL answered 404 there, a broken
    image. Those who share a conversation with them get it; others are still told of no account."""
    hidden = make_user("hidden_one")
    make_group(alice, members=[hidden])
    put_in_state(hidden, state)
    assert client.get(f"/api/users/{hidden.id}/avatar", headers=headers).status_code == 200
    assert error_of(client.get(f"/api/users/{hidden.id}/avatar", headers=bearer(bob))) == (404, "user_not_found")


@pytest.mark.parametrize("state", ["deactivated", "suspended"])  # one never confirmed cannot be blocked
def test_their_picture_still_shows_in_the_list_of_blocks(client, headers, bob, state):
    assert client.post("/api/blocks", headers=headers, json={"user_id": bob.id}).status_code == 201
    put_in_state(bob, state)
    (block,) = client.get("/api/blocks", headers=headers).get_json()["blocks"]
    assert client.get(block["user"]["avatar_url"], headers=headers).status_code == 200


def test_a_member_who_is_not_findable_is_listed_as_not_active(client, headers, alice, bob, state):
    """The member list keeps them (their name shows by their messages), marked for the mention suggestions."""
    gone = make_user("gone_one")
    group = make_group(alice, members=[bob, gone])
    put_in_state(gone, state)
    members = client.get(f"/api/conversations/{group.id}/members", headers=headers).get_json()["members"]
    assert {member["username"]: member["active"] for member in members} == {"alice": True, "bob": True,
                                                                          "gone_one": False}


def test_their_pending_requests_are_left_out_and_cannot_be_accepted(client, headers, alice, state):
    """A request from someone deactivated or suspended since (or, from before they were hidden, to or from
    an account never confirmed) stayed in the lists and could be accepted: a contact nobody can reach."""
    asking, asked, other = make_user("asking_one"), make_user("asked_one"), make_user("other_one")
    incoming = client.post("/api/contacts/requests", headers=bearer(asking), json={"username": "alice"})
    for name in ("other_one", "asked_one"):
        assert client.post("/api/contacts/requests", headers=headers, json={"username": name}).status_code == 201
    put_in_state(asking, state)
    put_in_state(asked, state)
    listed = client.get("/api/contacts/requests", headers=headers).get_json()
    assert listed["incoming"] == []
    assert [request["recipient"]["id"] for request in listed["outgoing"]] == [other.id]
    request_id = incoming.get_json()["request"]["id"]
    assert error_of(client.post(f"/api/contacts/requests/{request_id}/accept", headers=headers)) == \
        (404, "request_not_found")
    assert client.get("/api/contacts", headers=headers).get_json()["contacts"] == []


def test_an_operator_sees_their_picture_on_the_back_offices_account_page(app, hidden, operator):
    """The back office's account page shows the account's picture (GET /api/users/<id>/avatar), next to
    'Remove picture and status': for an account deactivated, suspended (often for that very picture) or
    never confirmed it answered 404, a broken image, and the operator could not see what they were asked
    to remove. Operators see anyone's picture, as they see the rest of the account."""
    import re

    from tests.admin.conftest import logged_in
    browser = logged_in(app, operator.username)
    page = browser.get(f"/admin/user/manage/?id={hidden.id}").get_data(as_text=True)
    (source,) = re.findall(r'<img src="([^"]*/avatar[^"]*)"', page)
    assert source == f"/api/users/{hidden.id}/avatar"
    assert browser.get(source).status_code == 200
