"""blueprints/api/conversations.py: list, one conversation, members, history, changes, send, read,
edit, delete, direct chats."""
import pytest

from actions.messages import edit_message, send_message
from tests.factories import make_group
from tests.helpers import bearer, error_of, events, refused


@pytest.fixture
def headers(alice, bob, carol):
    return {user.username: bearer(user) for user in (alice, bob, carol)}


def seqs(response) -> list[int]:
    assert response.status_code == 200, response.get_json()
    return [message["seq"] for message in response.get_json()["messages"]]


# GET /api/conversations, /api/conversations/<id>, /members

def test_list_and_read_one_conversation(client, alice, bob, carol, group, headers):
    other = make_group(bob, "Other", [alice])
    send_message(bob, group.id, "hi")
    body = client.get("/api/conversations", headers=headers["alice"]).get_json()
    assert [(c["id"], c["unread_count"]) for c in body["conversations"]] == [(group.id, 1), (other.id, 0)]
    team = body["conversations"][0]
    assert (team["last_message"]["body"], team["last_message"]["sender"]["username"], team["membership"]["role"],
            team["last_seq"]) == ("hi", "bob", "owner", 1)
    one = client.get(f"/api/conversations/{group.id}", headers=headers["alice"]).get_json()
    assert one == {"ok": True, "conversation": team}
    assert client.get("/api/conversations", headers=headers["carol"]).get_json() == {"ok": True, "conversations": []}


def test_members(client, alice, bob, group, headers):
    body = client.get(f"/api/conversations/{group.id}/members", headers=headers["bob"]).get_json()
    assert [(m["id"], m["username"], m["role"]) for m in body["members"]] == [
        (alice.id, "alice", "owner"), (bob.id, "bob", "member")]


@pytest.mark.parametrize("path", ["", "/members", "/messages", "/changes?since=0"])
def test_conversation_reads_are_for_members_only(client, group, headers, path):
    assert error_of(client.get(f"/api/conversations/{group.id}{path}", headers=headers["carol"])) == (
        403, "not_a_member")
    assert error_of(client.get(f"/api/conversations/9999{path}", headers=headers["carol"])) == (
        404, "conversation_not_found")


# GET /api/conversations/<id>/messages

def test_history_pages(client, alice, bob, group, headers):
    for number in range(5):
        send_message(alice, group.id, f"m{number}")
    url = f"/api/conversations/{group.id}/messages"
    assert seqs(client.get(url, headers=headers["bob"])) == [5, 4, 3, 2, 1]
    response = client.get(f"{url}?limit=2", headers=headers["bob"])
    assert (seqs(response), response.get_json()["has_more"]) == ([5, 4], True)
    response = client.get(f"{url}?before=2", headers=headers["bob"])
    assert (seqs(response), response.get_json()["has_more"]) == ([1], False)
    response = client.get(f"{url}?after=3&limit=1", headers=headers["bob"])
    assert (seqs(response), response.get_json()["has_more"]) == ([4], True)


@pytest.mark.parametrize("query, code", [
    ("before=0", "invalid_before"), ("before=x", "invalid_before"), ("after=-1", "invalid_after"),
    ("after=1.5", "invalid_after"), ("limit=0", "invalid_limit"), ("limit=101", "invalid_limit"),
])
def test_history_refuses_bad_parameters(client, group, headers, query, code):
    assert error_of(client.get(f"/api/conversations/{group.id}/messages?{query}", headers=headers["bob"])) == (
        400, code)


# GET /api/conversations/<id>/changes

def test_changes(client, alice, group, headers):
    first = send_message(alice, group.id, "one").message
    send_message(alice, group.id, "two")
    edit_message(alice, first.id, "one!")
    url = f"/api/conversations/{group.id}/changes"
    body = client.get(f"{url}?since=1", headers=headers["bob"]).get_json()
    assert (body["revision"], body["has_more"], [(m["seq"], m["revision"], m["body"]) for m in body["messages"]]) == (
        3, False, [(2, 2, "two"), (1, 3, "one!")])
    body = client.get(f"{url}?since=0&limit=1", headers=headers["bob"]).get_json()
    assert (body["revision"], body["has_more"], [m["revision"] for m in body["messages"]]) == (2, True, [2])
    body = client.get(f"{url}?since=3", headers=headers["bob"]).get_json()
    assert body == {"ok": True, "revision": 3, "has_more": False, "messages": []}


@pytest.mark.parametrize("query, code", [
    ("", "invalid_since"), ("since=", "invalid_since"), ("since=-1", "invalid_since"), ("since=a", "invalid_since"),
    ("since=0&limit=501", "invalid_limit"), ("since=0&limit=0", "invalid_limit"),
])
def test_changes_refuse_bad_parameters(client, group, headers, query, code):
    assert error_of(client.get(f"/api/conversations/{group.id}/changes?{query}", headers=headers["bob"])) == (
        400, code)


def test_changes_allow_pages_of_up_to_500(client, group, headers):
    assert client.get(f"/api/conversations/{group.id}/changes?since=0&limit=500",
                      headers=headers["bob"]).status_code == 200


# POST /api/conversations/<id>/messages

def test_send_and_retry(client, alice, bob, group, headers, socket_client_for):
    bob_socket = socket_client_for("bob")
    url = f"/api/conversations/{group.id}/messages"
    response = client.post(url, headers=headers["alice"], json={"body": "hello", "client_id": "c-1"})
    assert response.status_code == 201
    body = response.get_json()
    message = body["message"]
    assert (body["duplicate"], message["seq"], message["body"], message["client_id"], message["kind"],
            message["sender"]["id"]) == (False, 1, "hello", "c-1", "text", alice.id)
    assert events(bob_socket) == [("message:new", {"message": message})]
    retry = client.post(url, headers=headers["alice"], json={"body": "hello", "client_id": "c-1"})
    assert (retry.status_code, retry.get_json()) == (200, {"ok": True, "message": message, "duplicate": True})
    assert events(bob_socket) == []


@pytest.mark.parametrize("payload, status, code", [
    ({}, 400, "invalid_body"),
    ({"body": "   "}, 400, "invalid_body"),
    ({"body": 12}, 400, "invalid_body"),
    ({"body": "x" * 4001}, 400, "invalid_body"),
    ({"body": "hi", "client_id": "bad id"}, 400, "invalid_client_id"),
    ({"body": "hi", "attachment_id": "x"}, 400, "invalid_attachment_id"),
    ({"body": "hi", "attachment_id": 0}, 400, "invalid_attachment_id"),
    ({"body": "hi", "attachment": 1}, 400, "invalid_field"),  # a typo: not a message sent without its file
    ({"body": "hi", "client_id": "c-9", "conversation_id": 1}, 400, "invalid_field"),  # the socket's field
])
def test_send_refusals(client, group, headers, payload, status, code):
    assert refused(client.post, f"/api/conversations/{group.id}/messages", headers=headers["bob"], json=payload) == (
        status, code)


def test_whitespace_around_a_body_is_dropped_before_it_is_counted(client, group, headers):
    """docs/protocol.md, Input: a body keeps its inner lines and spaces, loses those around it, and
    its 4,000 characters are counted without them."""
    url = f"/api/conversations/{group.id}/messages"
    sent = client.post(url, headers=headers["bob"], json={"body": " \n\t  two\n  lines \r\n "})
    assert (sent.status_code, sent.get_json()["message"]["body"]) == (201, "two\n  lines")
    sent = client.post(url, headers=headers["bob"], json={"body": "  " + "x" * 4000 + "\n"})
    assert (sent.status_code, len(sent.get_json()["message"]["body"])) == (201, 4000)
    assert refused(client.post, url, headers=headers["bob"], json={"body": "\u3000\n \t"}) == (400, "invalid_body")


def test_send_refused_outside_the_conversation(client, alice, group, headers):
    other = make_group(alice, "Other")
    send_message(alice, other.id, "x", client_id="c-1")
    url = f"/api/conversations/{group.id}/messages"
    assert refused(client.post, url, headers=headers["carol"], json={"body": "hi"}) == (403, "not_a_member")
    assert refused(client.post, "/api/conversations/9999/messages", headers=headers["bob"], json={"body": "hi"}) == (
        404, "conversation_not_found")
    assert refused(client.post, url, headers=headers["alice"], json={"body": "x", "client_id": "c-1"}) == (
        409, "client_id_reused")


# POST /api/conversations/<id>/read

def test_read(client, alice, group, headers):
    for number in range(3):
        send_message(alice, group.id, f"m{number}")
    url = f"/api/conversations/{group.id}/read"
    assert client.post(url, headers=headers["bob"], json={"seq": 2}).get_json() == {"ok": True, "last_read_seq": 2}
    assert client.post(url, headers=headers["bob"], json={"seq": 1}).get_json() == {"ok": True, "last_read_seq": 2}
    assert client.post(url, headers=headers["bob"], json={"seq": 50}).get_json() == {"ok": True, "last_read_seq": 3}
    assert client.get(f"/api/conversations/{group.id}", headers=headers["bob"]).get_json()["conversation"][
        "unread_count"] == 0


@pytest.mark.parametrize("payload, code", [({}, "invalid_seq"), ({"seq": -1}, "invalid_seq"),
                                           ({"seq": "two"}, "invalid_seq"), ({"seq": None}, "invalid_seq"),
                                           ({"seq": 1, "conversation_id": 1}, "invalid_field"),
                                           ({"last_read_seq": 1}, "invalid_field")])
def test_read_refusals(client, group, headers, payload, code):
    assert refused(client.post, f"/api/conversations/{group.id}/read", headers=headers["bob"], json=payload) == (
        400, code)
    assert refused(client.post, f"/api/conversations/{group.id}/read", headers=headers["carol"], json={"seq": 1}) == (
        403, "not_a_member")


@pytest.mark.parametrize("payload", [{"seq": 1, "message_id": 1}, {"last_delivered_seq": 1}])
def test_delivered_refuses_a_field_it_does_not_take(client, alice, group, headers, payload):
    """docs/protocol.md, Input: 400 invalid_field, the position unmoved (it moved, the field ignored)."""
    send_message(alice, group.id, "m0")
    url = f"/api/conversations/{group.id}/delivered"
    assert refused(client.post, url, headers=headers["bob"], json=payload) == (400, "invalid_field")
    assert client.post(url, headers=headers["bob"], json={"seq": 1}).get_json() == {
        "ok": True, "last_delivered_seq": 1}


# PATCH and DELETE /api/messages/<id>

def test_edit_and_delete(client, alice, group, headers, socket_client_for):
    message = send_message(alice, group.id, "helo").message
    bob_socket = socket_client_for("bob")
    edited = client.patch(f"/api/messages/{message.id}", headers=headers["alice"], json={"body": "hello"})
    assert edited.status_code == 200
    payload = edited.get_json()["message"]
    assert (payload["body"], payload["revision"], payload["edited_at"] is not None) == ("hello", 2, True)
    assert events(bob_socket) == [("message:updated", {"message": payload})]
    deleted = client.delete(f"/api/messages/{message.id}", headers=headers["alice"])
    payload = deleted.get_json()["message"]
    assert (deleted.status_code, payload["body"], payload["removed_by"], payload["revision"]) == (
        200, "", "author", 3)
    assert events(bob_socket) == [("message:updated", {"message": payload})]


def test_edit_and_delete_refusals(client, alice, group, headers):
    message = send_message(alice, group.id, "mine").message
    url = f"/api/messages/{message.id}"
    assert refused(client.patch, url, headers=headers["bob"], json={"body": "yours"}) == (403, "not_the_author")
    assert refused(client.delete, url, headers=headers["bob"]) == (403, "not_the_author")
    assert refused(client.patch, url, headers=headers["carol"], json={"body": "x"}) == (403, "not_a_member")
    assert refused(client.patch, url, headers=headers["alice"], json={}) == (400, "invalid_body")
    assert refused(client.patch, url, headers=headers["alice"], json={"body": ""}) == (400, "invalid_body")
    assert refused(client.patch, url, headers=headers["alice"], json={"body": "x", "reply_to": 1}) == (
        400, "invalid_field")  # an edit changes the body only: another field is not ignored
    assert refused(client.patch, "/api/messages/9999", headers=headers["alice"], json={"body": "x"}) == (
        404, "message_not_found")
    assert refused(client.delete, "/api/messages/9999", headers=headers["alice"]) == (404, "message_not_found")
    client.delete(url, headers=headers["alice"])
    assert refused(client.delete, url, headers=headers["alice"]) == (409, "message_removed")


# POST /api/direct

def test_open_direct(client, alice, bob, headers):
    created = client.post("/api/direct", headers=headers["alice"], json={"user_id": bob.id})
    conversation = created.get_json()["conversation"]
    assert (created.status_code, conversation["kind"], conversation["title"], conversation["name"]) == (
        201, "direct", "Bob", None)
    again = client.post("/api/direct", headers=headers["bob"], json={"user_id": alice.id})
    assert (again.status_code, again.get_json()["conversation"]["id"], again.get_json()["conversation"]["title"]) == (
        200, conversation["id"], "Alice")


@pytest.mark.parametrize("payload, status, code", [
    ({}, 400, "invalid_user_id"), ({"user_id": "bob"}, 400, "invalid_user_id"),
    ({"user_id": 9999}, 404, "user_not_found"),
    ({"userid": 2}, 400, "invalid_field"), ({"user_id": 2, "body": "hi"}, 400, "invalid_field"),
])
def test_open_direct_refusals(client, alice, headers, payload, status, code):
    assert refused(client.post, "/api/direct", headers=headers["alice"], json=payload) == (status, code)
    assert refused(client.post, "/api/direct", headers=headers["alice"], json={"user_id": alice.id}) == (
        400, "invalid_user_id")
