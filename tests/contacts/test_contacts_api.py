"""Contacts, requests, blocks and privacy over REST (test client): actions.contacts, actions.blocks,
actions.privacy, the rules of actions.access, blueprints/api/contacts.py."""
from __future__ import annotations

import pytest

from actions.rate_limits import MemoryCounters
from extensions import db
from tests.helpers import bearer, error_of, refused


@pytest.fixture
def headers(alice, bob, carol):
    return {user.username: bearer(user) for user in (alice, bob, carol)}


def ask(client, headers, who, **address):
    return client.post("/api/contacts/requests", headers=headers[who], json=address)


def befriend(client, headers, first, second):
    request_id = ask(client, headers, first, username=second).get_json()["request"]["id"]
    assert client.post(f"/api/contacts/requests/{request_id}/accept", headers=headers[second]).status_code == 200


def contact_names(client, headers, who):
    answer = client.get("/api/contacts", headers=headers[who])
    assert answer.status_code == 200
    return [contact["username"] for contact in answer.get_json()["contacts"]]


def test_a_request_by_username_accepted_makes_both_contacts(client, headers, alice, bob):
    answer = ask(client, headers, "alice", username="BOB")
    assert answer.status_code == 201
    body = answer.get_json()
    assert body["state"] == "pending" and body["request"]["recipient"]["id"] == bob.id
    assert body["request"]["requester"]["id"] == alice.id
    pending = client.get("/api/contacts/requests", headers=headers["bob"]).get_json()
    assert [request["id"] for request in pending["incoming"]] == [body["request"]["id"]] and pending["outgoing"] == []
    assert client.get("/api/contacts/requests", headers=headers["alice"]).get_json()["outgoing"][0]["id"] == \
        body["request"]["id"]
    # Only the recipient accepts.
    assert error_of(client.post(f"/api/contacts/requests/{body['request']['id']}/accept",
                                headers=headers["alice"])) == (404, "request_not_found")
    accepted = client.post(f"/api/contacts/requests/{body['request']['id']}/accept", headers=headers["bob"])
    assert accepted.status_code == 200 and accepted.get_json()["state"] == "accepted"
    assert contact_names(client, headers, "alice") == ["bob"]
    assert contact_names(client, headers, "bob") == ["alice"]
    (contact,) = client.get("/api/contacts", headers=headers["alice"]).get_json()["contacts"]
    assert contact["presence"] == {"visible": True, "online": False, "last_seen_at": None}
    assert client.get("/api/contacts/requests", headers=headers["bob"]).get_json()["incoming"] == []


def test_requests_by_email_and_phone_find_confirmed_addresses(client, headers, bob, carol):
    bob.email, carol.phone = "bob@example.com", "+14155550123"
    db.session.commit()
    assert ask(client, headers, "alice", email="Bob@Example.com").get_json()["request"]["recipient"]["id"] == bob.id
    assert ask(client, headers, "alice", phone="+1 415 555 0123").get_json()["request"]["recipient"]["id"] == carol.id
    assert error_of(ask(client, headers, "alice", email="nobody@example.com")) == (404, "user_not_found")


def test_asking_back_accepts_and_declining_or_withdrawing_closes(client, headers, alice, bob, carol):
    ask(client, headers, "alice", username="bob")
    crossed = ask(client, headers, "bob", username="alice")
    assert crossed.status_code == 200 and crossed.get_json()["state"] == "accepted"
    assert contact_names(client, headers, "bob") == ["alice"]
    declined_id = ask(client, headers, "carol", username="alice").get_json()["request"]["id"]
    answer = client.post(f"/api/contacts/requests/{declined_id}/decline", headers=headers["alice"])
    assert answer.get_json() == {"ok": True, "state": "declined", "request_id": declined_id}
    withdrawn_id = ask(client, headers, "carol", username="alice").get_json()["request"]["id"]
    answer = client.post(f"/api/contacts/requests/{withdrawn_id}/decline", headers=headers["carol"])
    assert answer.get_json()["state"] == "cancelled"
    assert contact_names(client, headers, "carol") == []
    assert client.get("/api/contacts/requests", headers=headers["alice"]).get_json()["incoming"] == []


@pytest.mark.parametrize("body, expected", [
    ({}, (400, "invalid_address")),
    ({"username": "bob", "email": "bob@example.com"}, (400, "invalid_address")),
    # Blank is none given (docs/protocol.md, Input): it looked for the accounts without an address.
    ({"email": " "}, (400, "invalid_address")),
    ({"phone": "\t"}, (400, "invalid_address")),
    ({"username": "  "}, (400, "invalid_address")),
    ({"username": "nobody", "email": "  "}, (404, "user_not_found")),
    ({"username": ["bob"]}, (400, "invalid_username")),
    ({"email": "not an address"}, (400, "invalid_email")),
    ({"phone": "12"}, (400, "invalid_phone")),
    ({"username": "nobody"}, (404, "user_not_found")),
    ({"username": "alice"}, (400, "cannot_add_self")),
    ({"username": "bob", "message": "hi"}, (400, "invalid_field")),  # a field it does not take: not ignored
    ({"user_name": "bob"}, (400, "invalid_field")),  # a typo is told as such, not as no address
])
def test_bad_requests_are_refused_and_change_nothing(client, headers, bob, body, expected):
    assert refused(client.post, "/api/contacts/requests", headers=headers["alice"], json=body) == expected


def test_asking_twice_or_a_contact_is_refused(client, headers, bob):
    ask(client, headers, "alice", username="bob")
    assert refused(client.post, "/api/contacts/requests", headers=headers["alice"],
                   json={"username": "bob"}) == (409, "request_pending")
    befriend(client, headers, "carol", "bob")
    assert refused(client.post, "/api/contacts/requests", headers=headers["carol"],
                   json={"username": "bob"}) == (409, "already_contacts")


def test_removing_a_contact_ends_it_for_both(client, headers, bob):
    befriend(client, headers, "alice", "bob")
    assert client.delete(f"/api/contacts/{bob.id}", headers=headers["alice"]).status_code == 200
    assert contact_names(client, headers, "alice") == [] and contact_names(client, headers, "bob") == []
    assert refused(client.delete, f"/api/contacts/{bob.id}", headers=headers["alice"]) == (404, "contact_not_found")


def direct(client, headers, who, user_id):
    return client.post("/api/direct", headers=headers[who], json={"user_id": user_id})


def send(client, headers, who, conversation_id, body="hello"):
    return client.post(f"/api/conversations/{conversation_id}/messages", headers=headers[who], json={"body": body})


def test_contacts_only_refuses_a_stranger_over_rest(client, headers, alice, bob, carol):
    """bob allows direct chats from contacts only: carol (a stranger) can neither start one nor write
    in an old one; alice (a contact) can; and a chat bob started himself is open to its other person."""
    old = direct(client, headers, "carol", bob.id).get_json()["conversation"]["id"]  # before the setting
    assert client.put("/api/me/privacy", headers=headers["bob"], json={"direct_chats": "contacts"}).status_code == 200
    assert refused(send, client, headers, "carol", old) == (403, "contacts_only")
    db.session.execute(db.text("DELETE FROM conversations"))
    db.session.commit()
    assert refused(direct, client, headers, "carol", bob.id) == (403, "contacts_only")
    befriend(client, headers, "alice", "bob")
    conversation = direct(client, headers, "alice", bob.id).get_json()["conversation"]["id"]
    assert send(client, headers, "alice", conversation).status_code == 201
    started_by_bob = direct(client, headers, "bob", carol.id).get_json()["conversation"]["id"]
    assert send(client, headers, "carol", started_by_bob, "a reply").status_code == 201


def test_blocking_refuses_messages_and_requests_both_ways(client, headers, alice, bob):
    conversation = direct(client, headers, "alice", bob.id).get_json()["conversation"]["id"]
    befriend(client, headers, "alice", "bob")
    blocked = client.post("/api/blocks", headers=headers["bob"], json={"user_id": alice.id})
    assert blocked.status_code == 201 and blocked.get_json()["block"]["user"]["id"] == alice.id
    assert client.post("/api/blocks", headers=headers["bob"], json={"user_id": alice.id}).status_code == 200
    # The block ended the contact.
    assert contact_names(client, headers, "alice") == [] and contact_names(client, headers, "bob") == []
    # alice cannot reach bob; bob must unblock first. Nothing says alice was blocked but the refusal.
    assert refused(send, client, headers, "alice", conversation) == (403, "cannot_message_user")
    assert refused(send, client, headers, "bob", conversation) == (403, "user_blocked")
    assert refused(ask, client, headers, "alice", username="bob") == (403, "cannot_request_contact")
    assert refused(ask, client, headers, "bob", username="alice") == (403, "user_blocked")
    assert [block["user"]["id"] for block in client.get("/api/blocks", headers=headers["bob"]).get_json()[
        "blocks"]] == [alice.id]
    # Presence is hidden across the block, both ways.
    hidden = {"visible": False, "online": None, "last_seen_at": None}
    assert client.get(f"/api/users/{bob.id}/presence", headers=headers["alice"]).get_json()["presence"] == hidden
    assert client.get(f"/api/users/{alice.id}/presence", headers=headers["bob"]).get_json()["presence"] == hidden
    assert client.delete(f"/api/blocks/{alice.id}", headers=headers["bob"]).status_code == 200
    assert send(client, headers, "alice", conversation).status_code == 201
    assert refused(client.delete, f"/api/blocks/{alice.id}", headers=headers["bob"]) == (404, "not_blocked")


@pytest.mark.parametrize("body, expected", [
    ({}, (400, "invalid_user_id")),
    ({"user_id": "two"}, (400, "invalid_user_id")),
    ({"user_id": 999}, (404, "user_not_found")),
    ({"userid": 2}, (400, "invalid_field")),  # a typo is told as such, not as a missing user_id
    ({"user_id": 2, "report": True}, (400, "invalid_field")),  # a field it does not take: not ignored
])
def test_bad_blocks_are_refused(client, headers, body, expected):
    assert refused(client.post, "/api/blocks", headers=headers["alice"], json=body) == expected


def test_blocking_oneself_is_refused(client, headers, alice):
    assert refused(client.post, "/api/blocks", headers=headers["alice"],
                   json={"user_id": alice.id}) == (400, "cannot_block_self")


def test_privacy_settings_read_change_and_validate(client, headers):
    assert client.get("/api/me/privacy", headers=headers["alice"]).get_json()["privacy"] == {
        "direct_chats": "everyone", "last_seen": "everyone", "read_receipts": "everyone"}
    answer = client.put("/api/me/privacy", headers=headers["alice"], json={"last_seen": "contacts"})
    assert answer.get_json()["privacy"]["last_seen"] == "contacts"
    for body, code in (({}, "invalid_privacy"), ({"colour": "red"}, "invalid_privacy"),
                       ({"direct_chats": "nobody"}, "invalid_direct_chats"),
                       ({"last_seen": "contacts", "read_receipts": 1}, "invalid_read_receipts")):
        assert refused(client.put, "/api/me/privacy", headers=headers["alice"], json=body) == (400, code)


def test_last_seen_follows_the_privacy_setting(client, headers, alice, bob, carol):
    from models.time import utcnow

    alice.last_seen_at = utcnow()
    db.session.commit()
    url = f"/api/users/{alice.id}/presence"
    assert client.get(url, headers=headers["bob"]).get_json()["presence"]["last_seen_at"] is not None
    client.put("/api/me/privacy", headers=headers["alice"], json={"last_seen": "contacts"})
    befriend(client, headers, "alice", "bob")
    assert client.get(url, headers=headers["bob"]).get_json()["presence"]["visible"] is True
    assert client.get(url, headers=headers["carol"]).get_json()["presence"] == {
        "visible": False, "online": None, "last_seen_at": None}
    client.put("/api/me/privacy", headers=headers["alice"], json={"last_seen": "nobody"})
    assert client.get(url, headers=headers["bob"]).get_json()["presence"]["visible"] is False
    # Whoever hides their own last seen sees nobody's.
    client.put("/api/me/privacy", headers=headers["alice"], json={"last_seen": "everyone"})
    client.put("/api/me/privacy", headers=headers["carol"], json={"last_seen": "nobody"})
    assert client.get(url, headers=headers["carol"]).get_json()["presence"]["visible"] is False


def test_read_receipts_follow_the_privacy_setting(client, headers, alice, bob, group):
    from actions.conversations import mark_read
    from actions.messages import send_message

    message = send_message(alice, group.id, "hi").message
    mark_read(bob, group.id, message.seq)
    url = f"/api/conversations/{group.id}/receipts"
    (receipt,) = client.get(url, headers=headers["alice"]).get_json()["receipts"]
    assert receipt == {"user_id": bob.id, "user": receipt["user"], "last_delivered_seq": message.seq,
                       "last_read_seq": message.seq} and receipt["user"]["username"] == "bob"

    def read_position() -> int | None:  # delivered stays visible; how far bob read follows his setting
        (receipt,) = client.get(url, headers=headers["alice"]).get_json()["receipts"]
        assert receipt["last_delivered_seq"] == message.seq
        return receipt["last_read_seq"]

    client.put("/api/me/privacy", headers=headers["bob"], json={"read_receipts": "contacts"})
    assert read_position() is None
    befriend(client, headers, "alice", "bob")
    assert read_position() == message.seq
    client.put("/api/me/privacy", headers=headers["bob"], json={"read_receipts": "nobody"})
    assert read_position() is None
    assert error_of(client.get(url, headers=headers["carol"])) == (403, "not_a_member")


@pytest.mark.parametrize("app_settings", [{"CONTACT_REQUESTS_PER_HOUR": 2}])
def test_contact_requests_are_limited_per_user_found_or_not(app, client, headers, app_settings):
    app.extensions["rate_limits"] = MemoryCounters(clock=lambda: 7200.0 + 600)  # the counters' time stands still
    assert ask(client, headers, "alice", email="nobody@example.com").status_code == 404
    assert ask(client, headers, "alice", username="bob").status_code == 201
    assert refused(client.post, "/api/contacts/requests", headers=headers["alice"],
                   json={"username": "carol"}) == (429, "rate_limited")
    answer = ask(client, headers, "alice", username="carol")
    assert int(answer.headers["Retry-After"]) >= 1
    assert ask(client, headers, "carol", username="alice").status_code == 201  # each user has their own count


def test_nobody_adds_someone_who_blocked_them_to_a_group(client, headers, alice, bob, carol):
    from tests.factories import make_group

    group = make_group(alice, "Team", [])
    assert client.post("/api/blocks", headers=headers["bob"], json={"user_id": alice.id}).status_code == 201
    assert refused(client.post, f"/api/groups/{group.id}/members", headers=headers["alice"],
                   json={"user_id": bob.id}) == (403, "cannot_add_user")
    assert refused(client.post, "/api/groups", headers=headers["alice"],
                   json={"name": "Another", "member_ids": [bob.id]}) == (403, "cannot_add_user")
    assert client.post(f"/api/groups/{group.id}/members", headers=headers["alice"],
                       json={"user_id": carol.id}).status_code == 201


def test_a_blocker_unblocks_before_adding_the_person_they_blocked_to_a_group(client, headers, alice, bob, carol):
    """Alice blocked Bob, then put him in her group: he could read and answer her there, though a block
    holds both ways (no direct message, request or presence from her to him until she unblocks). As
    WhatsApp asks "Unblock Bob to add him", it is 403 user_blocked now, with nothing added; unblocked, he
    is added."""
    from tests.factories import make_group

    group = make_group(alice, "Team", [])
    assert client.post("/api/blocks", headers=headers["alice"], json={"user_id": bob.id}).status_code == 201
    assert refused(client.post, f"/api/groups/{group.id}/members", headers=headers["alice"],
                   json={"user_id": bob.id}) == (403, "user_blocked")
    assert refused(client.post, "/api/groups", headers=headers["alice"],
                   json={"name": "Another", "member_ids": [bob.id, carol.id]}) == (403, "user_blocked")
    assert [group["name"] for group in client.get("/api/conversations", headers=headers["bob"]).get_json()[
        "conversations"]] == []
    assert client.delete(f"/api/blocks/{bob.id}", headers=headers["alice"]).status_code == 200
    assert client.post(f"/api/groups/{group.id}/members", headers=headers["alice"],
                       json={"user_id": bob.id}).status_code == 201
