"""blueprints/api/groups.py: create, discover, join, leave, rename, manage members."""
import pytest

from actions.groups import set_member_role
from extensions import db
from models import Membership
from tests.factories import make_group, make_user
from tests.helpers import bearer, database_rows, error_of, events, refused


@pytest.fixture
def headers(alice, bob, carol):
    return {user.username: bearer(user) for user in (alice, bob, carol)}


def roles(group_id: int) -> dict[str, str]:
    db.session.expire_all()
    memberships = db.session.execute(db.select(Membership).where(Membership.conversation_id == group_id)).scalars()
    return {membership.user.username: membership.role for membership in memberships}


# POST /api/groups

def test_create_a_group(client, alice, bob, headers, socket_client_for):
    bob_socket = socket_client_for("bob")
    response = client.post("/api/groups", headers=headers["alice"], json={
        "name": "Team", "description": "Our room", "visibility": "public", "member_ids": [bob.id]})
    assert response.status_code == 201
    conversation = response.get_json()["conversation"]
    assert (conversation["kind"], conversation["name"], conversation["title"], conversation["description"],
            conversation["visibility"], conversation["archived"]) == ("group", "Team", "Team", "Our room", "public",
                                                                      False)
    assert (conversation["membership"]["role"], conversation["membership"]["user_id"]) == ("owner", alice.id)
    assert (conversation["last_message"], conversation["unread_count"], conversation["last_seq"]) == (None, 0, 0)
    assert roles(conversation["id"]) == {"alice": "owner", "bob": "member"}
    [(event, payload)] = events(bob_socket)
    assert (event, payload["conversation"]["id"], payload["conversation"]["membership"]["role"]) == (
        "conversation:added", conversation["id"], "member")


def test_create_defaults(client, headers):
    conversation = client.post("/api/groups", headers=headers["alice"], json={"name": "Quiet"}).get_json()[
        "conversation"]
    assert (conversation["visibility"], conversation["description"]) == ("private", "")
    assert roles(conversation["id"]) == {"alice": "owner"}


@pytest.mark.parametrize("payload, status, code", [
    ({}, 400, "invalid_name"),
    ({"name": "  "}, 400, "invalid_name"),
    ({"name": 5}, 400, "invalid_name"),
    ({"name": "Team", "visibility": "secret"}, 400, "invalid_visibility"),
    ({"name": "Team", "description": ["x"]}, 400, "invalid_description"),
    ({"name": "Team", "member_ids": "2"}, 400, "invalid_member_ids"),
    ({"name": "Team", "member_ids": {"id": 2}}, 400, "invalid_member_ids"),
    ({"name": "Team", "member_ids": list(range(1, 502))}, 400, "invalid_member_ids"),
    ({"name": "Team", "member_ids": ["two"]}, 400, "invalid_member_ids"),
    ({"name": "Team", "member_ids": [True]}, 400, "invalid_member_ids"),
    ({"name": "Team", "member_ids": [9999]}, 404, "user_not_found"),
    # Of the wrong type even when falsy (they were taken as none: a group created without a word)
    ({"name": "Team", "description": 0}, 400, "invalid_description"),
    ({"name": "Team", "description": False}, 400, "invalid_description"),
    ({"name": "Team", "description": []}, 400, "invalid_description"),
    ({"name": "Team", "member_ids": 0}, 400, "invalid_member_ids"),
    ({"name": "Team", "member_ids": ""}, 400, "invalid_member_ids"),
    ({"name": "Team", "member_ids": False}, 400, "invalid_member_ids"),
    ({"name": "Team", "member_ids": {}}, 400, "invalid_member_ids"),
])
def test_create_refusals(client, headers, payload, status, code):
    assert refused(client.post, "/api/groups", headers=headers["alice"], json=payload) == (status, code)


# GET /api/groups

def test_public_groups_with_member_counts(client, alice, bob, carol, headers):
    make_group(alice, "Zoo", [bob, carol], visibility="public")
    attic = make_group(bob, "Attic", visibility="public")
    make_group(alice, "Private", [bob])
    body = client.get("/api/groups", headers=headers["carol"]).get_json()
    assert [(group["name"], group["member_count"]) for group in body["groups"]] == [("Attic", 1), ("Zoo", 3)]
    assert "membership" not in body["groups"][0]
    found = client.get("/api/groups?q=att&limit=5", headers=headers["carol"]).get_json()["groups"]
    assert [group["id"] for group in found] == [attic.id]
    assert [g["name"] for g in client.get("/api/groups?limit=1", headers=headers["carol"]).get_json()["groups"]] == [
        "Attic"]


@pytest.mark.parametrize("query", ["café", "CAFÉ", "SOCIÉTÉ", "привет", "ПРИВЕТ"])
def test_public_groups_are_found_ignoring_case_in_every_script(client, alice, headers, query):
    """protocol.md: a group's name contains `q`, case ignored. SQLite's own lower() (which its ILIKE uses)
    folds ASCII only: "CAFÉ" did not find "Café Société", nor "привет" "Привет, Société"."""
    make_group(alice, "Café Société", visibility="public")
    make_group(alice, "Привет, Société", visibility="public")
    make_group(alice, "Other", visibility="public")
    found = client.get("/api/groups", query_string={"q": query}, headers=headers["alice"]).get_json()["groups"]
    expected = {"café": ["Café Société"], "CAFÉ": ["Café Société"], "SOCIÉTÉ": ["Café Société", "Привет, Société"],
                "привет": ["Привет, Société"], "ПРИВЕТ": ["Привет, Société"]}[query]
    assert [group["name"] for group in found] == expected


@pytest.mark.parametrize("query, code", [("limit=0", "invalid_limit"), ("limit=x", "invalid_limit"),
                                         ("q=" + "x" * 81, "invalid_q")])
def test_public_groups_refuse_bad_parameters(client, headers, query, code):
    assert error_of(client.get(f"/api/groups?{query}", headers=headers["alice"])) == (400, code)


# POST /api/groups/<id>/join and /leave

def test_join_and_leave(client, alice, bob, carol, headers):
    group = make_group(alice, "Open", [bob], visibility="public")
    response = client.post(f"/api/groups/{group.id}/join", headers=headers["carol"])
    assert response.status_code == 200
    conversation = response.get_json()["conversation"]
    assert (conversation["id"], conversation["membership"]["role"], conversation["unread_count"]) == (
        group.id, "member", 0)
    assert refused(client.post, f"/api/groups/{group.id}/join", headers=headers["carol"]) == (409, "already_a_member")
    assert client.post(f"/api/groups/{group.id}/leave", headers=headers["carol"]).get_json() == {"ok": True}
    assert roles(group.id) == {"alice": "owner", "bob": "member"}
    assert refused(client.post, f"/api/groups/{group.id}/leave", headers=headers["carol"]) == (403, "not_a_member")


def test_join_refusals(client, alice, bob, headers):
    private = make_group(alice, "Private", [bob])
    assert refused(client.post, f"/api/groups/{private.id}/join", headers=headers["carol"]) == (403, "group_is_private")
    assert refused(client.post, "/api/groups/9999/join", headers=headers["carol"]) == (404, "group_not_found")
    assert refused(client.post, "/api/groups/9999/leave", headers=headers["carol"]) == (404, "group_not_found")


def test_owner_leaving_hands_over(client, alice, bob, headers):
    group = make_group(alice, "Team", [bob])
    client.post(f"/api/groups/{group.id}/leave", headers=headers["alice"])
    assert roles(group.id) == {"bob": "owner"}


# PATCH /api/groups/<id>

def test_rename(client, alice, bob, headers, socket_client_for):
    group = make_group(alice, "Team", [bob])
    bob_socket = socket_client_for("bob")
    response = client.patch(f"/api/groups/{group.id}", headers=headers["alice"],
                            json={"name": "Renamed", "description": "Topic"})
    conversation = response.get_json()["conversation"]
    assert (response.status_code, conversation["name"], conversation["description"]) == (200, "Renamed", "Topic")
    received = events(bob_socket)
    assert received[0] == ("conversation:updated", {"conversation": conversation})
    assert [(name, payload["message"]["system"]["event"]) for name, payload in received[1:]] == [
        ("message:new", "group_renamed"), ("message:new", "description_changed")]


def test_renaming_to_what_the_group_has_changes_nothing_and_tells_nobody(client, alice, bob, headers,
                                                                        socket_client_for):
    """docs/protocol.md: PATCH /api/groups/<id> with the name and description the group has answers the
    group, and nothing changes: no note, no conversation:updated (nor for fields left out)."""
    group = make_group(alice, "Team", [bob])
    bob_socket = socket_client_for("bob")
    client.get(f"/api/conversations/{group.id}", headers=headers["alice"])  # the token's last use, once a minute
    before = database_rows()
    for body in ({"name": "Team", "description": ""}, {"name": " Team "}, {}):
        response = client.patch(f"/api/groups/{group.id}", headers=headers["alice"], json=body)
        assert (response.status_code, response.get_json()["conversation"]["name"]) == (200, "Team")
    assert database_rows() == before
    assert events(bob_socket) == []


def test_rename_refusals(client, alice, bob, headers):
    group = make_group(alice, "Team", [bob])
    url = f"/api/groups/{group.id}"
    assert refused(client.patch, url, headers=headers["bob"], json={"name": "Mine"}) == (403, "not_a_group_admin")
    assert refused(client.patch, url, headers=headers["carol"], json={"name": "Mine"}) == (403, "not_a_member")
    assert refused(client.patch, url, headers=headers["alice"], json={"name": ""}) == (400, "invalid_name")
    # A field it does not change is refused, as PATCH /api/me refuses one, not answered 200 unchanged.
    for body in ({"nmae": "Typo"}, {"name": "Mine", "visibility": "public"}):
        assert refused(client.patch, url, headers=headers["alice"], json=body) == (400, "invalid_field")
    assert refused(client.patch, "/api/groups/9999", headers=headers["alice"], json={"name": "X"}) == (
        404, "group_not_found")


# POST /api/groups/<id>/members, DELETE and PATCH /api/groups/<id>/members/<user_id>

def test_add_remove_and_set_role(client, alice, bob, carol, headers):
    group = make_group(alice, "Team", [bob])
    response = client.post(f"/api/groups/{group.id}/members", headers=headers["alice"], json={"user_id": carol.id})
    assert response.status_code == 201
    member = response.get_json()["member"]
    assert (member["id"], member["username"], member["role"]) == (carol.id, "carol", "member")
    response = client.patch(f"/api/groups/{group.id}/members/{carol.id}", headers=headers["alice"],
                            json={"role": "admin"})
    assert (response.status_code, response.get_json()["member"]["role"]) == (200, "admin")
    response = client.delete(f"/api/groups/{group.id}/members/{bob.id}", headers=headers["carol"])
    assert (response.status_code, response.get_json()) == (200, {"ok": True})
    assert roles(group.id) == {"alice": "owner", "carol": "admin"}


def test_member_management_refusals(client, alice, bob, carol, headers):
    group = make_group(alice, "Team", [bob, carol])
    set_member_role(alice, group.id, bob.id, "admin")
    dave = make_user("dave")
    members = f"/api/groups/{group.id}/members"
    assert refused(client.post, members, headers=headers["carol"], json={"user_id": dave.id}) == (
        403, "not_a_group_admin")
    assert refused(client.post, members, headers=headers["alice"], json={"user_id": carol.id}) == (
        409, "already_a_member")
    assert refused(client.post, members, headers=headers["alice"], json={"user_id": 9999}) == (404, "user_not_found")
    assert refused(client.post, members, headers=headers["alice"], json={}) == (400, "invalid_user_id")
    assert refused(client.post, members, headers=headers["alice"], json={"user_id": "dave"}) == (400, "invalid_user_id")
    assert refused(client.delete, f"{members}/{alice.id}", headers=headers["bob"]) == (403, "not_a_group_owner")
    assert refused(client.delete, f"{members}/{bob.id}", headers=headers["carol"]) == (403, "not_a_group_admin")
    assert refused(client.delete, f"{members}/{dave.id}", headers=headers["alice"]) == (404, "member_not_found")
    assert refused(client.delete, f"{members}/{alice.id}", headers=headers["alice"]) == (409, "cannot_remove_self")
    assert refused(client.patch, f"{members}/{carol.id}", headers=headers["bob"], json={"role": "owner"}) == (
        403, "not_a_group_owner")
    assert refused(client.patch, f"{members}/{carol.id}", headers=headers["alice"], json={"role": "boss"}) == (
        400, "invalid_role")
    assert refused(client.patch, f"{members}/{carol.id}", headers=headers["alice"], json={}) == (400, "invalid_role")
    assert refused(client.patch, f"{members}/{alice.id}", headers=headers["alice"], json={"role": "member"}) == (
        409, "last_owner")
    assert refused(client.patch, f"{members}/{dave.id}", headers=headers["alice"], json={"role": "admin"}) == (
        404, "member_not_found")


def test_a_field_not_taken_is_refused_when_creating_or_setting_a_role(client, alice, bob, headers):
    """As PATCH /api/groups/<id> and PATCH /api/me: a typo (`members` for `member_ids`, `rolee`) or a field
    these do not take is 400 invalid_field, not a group made without its members or a role left as it was."""
    before = database_rows()
    for body in ({"name": "Team", "members": [bob.id]}, {"name": "Team", "topic": "x"}):
        assert refused(client.post, "/api/groups", headers=headers["alice"], json=body) == (400, "invalid_field")
    assert database_rows() == before
    group = make_group(alice, "Team", [bob])
    member = f"/api/groups/{group.id}/members/{bob.id}"
    for body in ({"rolee": "admin"}, {"role": "admin", "user_id": bob.id}):
        assert refused(client.patch, member, headers=headers["alice"], json=body) == (400, "invalid_field")
    assert roles(group.id) == {"alice": "owner", "bob": "member"}


def test_a_field_not_taken_is_refused_when_adding_a_member_or_handing_the_group_over(
        client, alice, bob, carol, headers):
    """POST /api/groups/<id>/members and /owner take only {user_id}: a typo (`userid`) is 400 invalid_field,
    not invalid_user_id, and a field they do not take (a `role`) is refused, not ignored with carol added as a
    plain member or bob made owner."""
    group = make_group(alice, "Team", [bob])
    before = database_rows()
    for path, user in ((f"/api/groups/{group.id}/members", carol), (f"/api/groups/{group.id}/owner", bob)):
        for body in ({"userid": user.id}, {"user_id": user.id, "role": "admin"}):
            assert refused(client.post, path, headers=headers["alice"], json=body) == (400, "invalid_field")
    assert database_rows() == before
    assert roles(group.id) == {"alice": "owner", "bob": "member"}


# GET /api/groups/<id>/preview, POST /api/groups/<id>/owner, DELETE /api/groups/<id>

def test_preview_a_public_group_then_join_it(client, alice, bob, carol, headers):
    from actions.messages import send_message

    group = make_group(alice, "Open", [bob], visibility="public")
    send_message(bob, group.id, "hello there")
    response = client.get(f"/api/groups/{group.id}/preview", headers=headers["carol"])
    answer = response.get_json()
    assert response.status_code == 200 and answer["ok"] is True
    assert (answer["conversation"]["name"], answer["conversation"]["member_count"]) == ("Open", 2)
    assert "membership" not in answer["conversation"]
    assert [(m["body"], m["sender"]["username"]) for m in answer["messages"]] == [("hello there", "bob")]
    assert roles(group.id) == {"alice": "owner", "bob": "member"}  # previewing joins nothing
    client.post(f"/api/groups/{group.id}/join", headers=headers["carol"])
    messages = client.get(f"/api/conversations/{group.id}/messages", headers=headers["carol"]).get_json()["messages"]
    assert [(m["kind"], m["body"], m["system"]) for m in messages][0] == ("system", "Carol joined the group", {
        "event": "member_joined", "actor_id": carol.id, "actor_name": "Carol", "user_id": carol.id,
        "user_name": "Carol"})
    assert messages[1]["system"] is None  # an ordinary message


def test_preview_refusals(client, alice, bob, headers):
    private = make_group(alice, "Hidden", [bob])
    assert refused(client.get, f"/api/groups/{private.id}/preview", headers=headers["carol"]) == (403, "not_a_member")
    assert refused(client.get, "/api/groups/9999/preview", headers=headers["carol"]) == (404, "group_not_found")
    assert refused(client.get, f"/api/groups/{private.id}/preview") == (401, "unauthorized")


def test_hand_over_and_delete(client, alice, bob, carol, headers, socket_client_for):
    group = make_group(alice, "Team", [bob, carol])
    url = f"/api/groups/{group.id}"
    assert refused(client.post, f"{url}/owner", headers=headers["bob"], json={"user_id": carol.id}) == (
        403, "not_a_group_owner")
    assert refused(client.post, f"{url}/owner", headers=headers["alice"], json={"user_id": "x"}) == (
        400, "invalid_user_id")
    assert refused(client.post, f"{url}/owner", headers=headers["alice"], json={"user_id": 9999}) == (
        404, "member_not_found")
    response = client.post(f"{url}/owner", headers=headers["alice"], json={"user_id": bob.id})
    assert (response.status_code, response.get_json()["member"]["role"]) == (200, "owner")
    assert roles(group.id) == {"alice": "admin", "bob": "owner", "carol": "member"}

    assert refused(client.delete, url, headers=headers["alice"]) == (403, "not_a_group_owner")  # an admin now
    carol_socket = socket_client_for("carol")
    response = client.delete(url, headers=headers["bob"])
    assert (response.status_code, response.get_json()) == (202, {"ok": True})
    [(event, payload)] = events(carol_socket)
    assert (event, payload["conversation"]["archived"]) == ("conversation:updated", True)
    assert refused(client.post, f"/api/conversations/{group.id}/messages", headers=headers["carol"],
                   json={"body": "still here?"}) == (403, "conversation_archived")


def test_a_route_that_takes_no_body_refuses_one_with_a_field(client, alice, bob, carol, headers):
    """docs/protocol.md, Input: a route whose row lists no body refuses one with any field, first, as the other
    routes refuse a field they do not take: leaving with {"user_id": carol} (as if it removed carol) left the
    caller, 200. A body that is no JSON is invalid_json, one past REQUEST_MAX_BYTES 413, as on every route."""
    group = make_group(alice, "Team", [bob, carol])
    answer = client.post(f"/api/groups/{group.id}/leave", headers=headers["bob"], json={"user_id": carol.id})
    assert error_of(answer) == (400, "invalid_field")
    assert "user_id" in answer.get_json()["error"]["message"]
    assert refused(client.post, f"/api/groups/{group.id}/leave", headers=headers["bob"],
                   json={"user_id": carol.id}) == (400, "invalid_field")
    assert refused(client.post, f"/api/groups/{group.id}/leave", headers=headers["bob"],
                   data="{not json", content_type="application/json") == (400, "invalid_json")
    assert refused(client.post, f"/api/groups/{group.id}/leave", headers=headers["bob"],
                   data="user_id=7", content_type="application/x-www-form-urlencoded") == (400, "invalid_json")
    assert refused(client.post, f"/api/groups/{group.id}/leave", headers=headers["bob"],
                   data="x" * (300 * 1024), content_type="application/json") == (413, "request_entity_too_large")
    assert roles(group.id) == {"alice": "owner", "bob": "member", "carol": "member"}


@pytest.mark.parametrize("body", [{}, {"json": {}}, {"data": "", "content_type": "application/json"}],
                         ids=["nothing", "{}", "empty"])
def test_a_route_that_takes_no_body_takes_none_or_an_empty_object(client, alice, bob, carol, headers, body):
    """What older clients and the page send (fetch with `{}`, or nothing, as application/json): the route acts."""
    group = make_group(alice, "Team", [bob, carol])
    answer = client.post(f"/api/groups/{group.id}/leave", headers=headers["bob"], **body)
    assert (answer.status_code, answer.get_json()) == (200, {"ok": True})
    assert roles(group.id) == {"alice": "owner", "carol": "member"}
