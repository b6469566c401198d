"""Contacts, privacy and blocking on a real server (gunicorn + gevent, tests/servers.py), through
python-socketio clients over websockets and REST: requests and their answers reach both people
live, the privacy rules and blocks refuse over Socket.IO as over REST, presence reaches contacts."""
from __future__ import annotations

import pytest

from tests.integration.chat import create_group, history, open_direct, send, wait_for_message
from tests.servers import wait_for

pytestmark = pytest.mark.integration

EVENTS = ("message:new", "contact:request", "contact:request_closed", "contact:added", "contact:removed",
          "block:added", "block:removed", "presence", "presence:batch", "privacy:updated")


def refusal(ack: dict) -> str:
    assert ack["ok"] is False and set(ack["error"]) == {"code", "message"}, ack
    return ack["error"]["code"]


def next_event(socket, event: str, count: int = 1) -> dict:
    """The `count`-th `event` the socket received (waiting for it)."""
    wait_for(lambda: len(socket.received[event]) >= count, what=f"{event} #{count}")
    return socket.received[event][count - 1]


def befriend(first_socket, second_socket, second) -> None:
    asked = first_socket.call("contact:request", {"username": second.username})
    assert asked["ok"] and asked["state"] == "pending", asked
    request_id = next_event(second_socket, "contact:request")["request"]["id"]
    assert second_socket.call("contact:accept", {"request_id": request_id})["ok"]


def test_a_request_reaches_the_recipient_live_and_the_answer_both(register, connect):
    alice, bob = register(), register()
    alice_socket, bob_socket = connect(alice, EVENTS), connect(bob, EVENTS)
    asked = alice_socket.call("contact:request", {"username": bob.username.upper()})
    assert asked["ok"] and asked["state"] == "pending", asked
    for socket in (alice_socket, bob_socket):
        request = next_event(socket, "contact:request")["request"]
        assert (request["id"], request["requester"]["id"], request["recipient"]["id"]) == (
            asked["request"]["id"], alice.id, bob.id)
    assert refusal(alice_socket.call("contact:accept", {"request_id": asked["request"]["id"]})) == "request_not_found"
    assert bob_socket.call("contact:accept", {"request_id": asked["request"]["id"]})["ok"]
    for socket in (alice_socket, bob_socket):
        assert next_event(socket, "contact:request_closed") == {"request_id": asked["request"]["id"],
                                                                 "state": "accepted"}
    assert next_event(alice_socket, "contact:added")["contact"]["id"] == bob.id
    assert next_event(bob_socket, "contact:added")["contact"]["id"] == alice.id
    listed = alice_socket.call("contacts:list", {})
    assert [contact["id"] for contact in listed["contacts"]] == [bob.id]
    assert listed["contacts"][0]["presence"]["online"] is True and listed["incoming"] == listed["outgoing"] == []

    assert bob_socket.call("contact:remove", {"user_id": alice.id})["ok"]
    assert next_event(alice_socket, "contact:removed") == {"user_id": bob.id}
    assert alice.api("GET", "/contacts").json()["contacts"] == []


def test_contacts_only_refuses_a_strangers_message_over_the_socket(register, connect):
    bob, carol, alice = register(), register(), register()
    chat_id = open_direct(carol, bob)  # opened while bob still took chats from everyone
    bob_socket, carol_socket = connect(bob, EVENTS), connect(carol, EVENTS)
    first = send(carol_socket, chat_id, "hello bob")
    wait_for_message(bob_socket, first)

    changed = bob_socket.call("privacy:update", {"direct_chats": "contacts"})
    assert changed["ok"] and changed["privacy"]["direct_chats"] == "contacts"
    assert next_event(bob_socket, "privacy:updated")["privacy"]["direct_chats"] == "contacts"
    ack = carol_socket.call("message:send", {"conversation_id": chat_id, "body": "are you there?",
                                             "client_id": "carol-2"})
    assert refusal(ack) == "contacts_only"
    assert alice.api("POST", "/direct", json={"user_id": bob.id}).json()["error"]["code"] == "contacts_only"
    assert [message["body"] for message in history(bob, chat_id)] == ["hello bob"]  # refused: never stored

    befriend(carol_socket, bob_socket, bob)
    allowed = send(carol_socket, chat_id, "now as a contact")
    wait_for_message(bob_socket, allowed)


def test_blocking_refuses_both_ways_and_hides_presence(register, connect):
    alice, bob = register(), register()
    alice_socket, alice_tab, bob_socket = connect(alice, EVENTS), connect(alice, EVENTS), connect(bob, EVENTS)
    befriend(alice_socket, bob_socket, bob)
    chat_id = open_direct(alice, bob)
    blocked = alice_socket.call("block:add", {"user_id": bob.id})
    assert blocked["ok"] and blocked["block"]["user"]["id"] == bob.id
    assert next_event(alice_tab, "block:added")["block"]["user"]["id"] == bob.id  # every tab of the blocker
    assert next_event(bob_socket, "contact:removed") == {"user_id": alice.id}  # the block ended the contact
    hidden_entry = {"visible": False, "online": None, "last_seen_at": None}  # told at once, both ways
    assert next_event(bob_socket, "presence") == {"user_id": alice.id, **hidden_entry}
    assert next_event(alice_socket, "presence") == {"user_id": bob.id, **hidden_entry}

    def send_refused(socket, body):
        return refusal(socket.call("message:send", {"conversation_id": chat_id, "body": body}))

    assert send_refused(bob_socket, "let me in") == "cannot_message_user"
    assert send_refused(alice_socket, "one last word") == "user_blocked"
    assert refusal(bob_socket.call("contact:request", {"username": alice.username})) == "cannot_request_contact"
    assert refusal(alice_socket.call("contact:request", {"username": bob.username})) == "user_blocked"
    hidden = {"visible": False, "online": None, "last_seen_at": None}
    assert bob_socket.call("presence:get", {"user_id": alice.id})["presence"] == hidden
    assert alice_socket.call("presence:get", {"user_id": bob.id})["presence"] == hidden
    assert history(alice, chat_id) == []
    assert [block["user"]["id"] for block in alice_socket.call("contacts:list", {})["blocks"]] == [bob.id]
    assert bob.api("GET", "/blocks").json()["blocks"] == []  # the blocked person's own list says nothing

    assert alice_socket.call("block:remove", {"user_id": bob.id})["ok"]
    assert next_event(alice_tab, "block:removed") == {"user_id": bob.id}
    shown = next_event(bob_socket, "presence", 2)  # visible again, as alice's privacy settings allow
    assert (shown["user_id"], shown["visible"], shown["online"]) == (alice.id, True, True)
    wait_for_message(alice_socket, send(bob_socket, chat_id, "thanks"))


def test_contacts_see_each_other_come_and_go_as_privacy_allows(register, connect):
    alice, bob = register(), register()
    alice_socket, bob_socket = connect(alice, EVENTS), connect(bob, EVENTS)
    befriend(alice_socket, bob_socket, bob)
    bob_tab = connect(bob, EVENTS)  # bob was online already: no news (presence:batch, tests/presence)
    bob_tab.disconnect()
    bob_socket.disconnect()  # the last one: offline once the grace period is over

    def told() -> list[dict]:
        return [entry for batch in alice_socket.received["presence:batch"] for entry in batch["users"]]
    wait_for(lambda: told() and told()[-1]["online"] is False, what="bob offline")
    gone = told()[-1]
    assert gone["user_id"] == bob.id and gone["last_seen_at"]

    bob_socket = connect(bob, EVENTS)
    wait_for(lambda: told()[-1]["online"] is True, what="bob online again")
    assert told()[-1]["user_id"] == bob.id and told()[-1]["visible"] is True
    assert bob_socket.call("privacy:update", {"last_seen": "nobody"})["ok"]
    assert next_event(alice_socket, "presence", 1) == {"user_id": bob.id, "visible": False, "online": None,
                                                       "last_seen_at": None}
    assert alice.api("GET", "/contacts").json()["contacts"][0]["presence"]["visible"] is False


def test_a_contact_ending_or_beginning_tells_presence_where_last_seen_is_contacts(register, connect):
    """With `last_seen: contacts`, ending a contact hides one's presence from the other at once, and a
    new contact shows it, as a block or a privacy change does (docs/protocol.md): a member of a group
    they share kept the last state shown (online, for good: no presence:batch reached them any more)."""
    alice, bob = register(), register()
    alice_socket, bob_socket = connect(alice, EVENTS), connect(bob, EVENTS)
    befriend(alice_socket, bob_socket, bob)
    create_group(alice, (bob,))
    assert alice_socket.call("privacy:update", {"last_seen": "contacts"})["ok"]
    assert next_event(bob_socket, "presence")["online"] is True  # the change told: bob may still see it

    assert bob_socket.call("contact:remove", {"user_id": alice.id})["ok"]
    assert next_event(bob_socket, "presence", 2) == {"user_id": alice.id, "visible": False, "online": None,
                                                     "last_seen_at": None}

    asked = bob_socket.call("contact:request", {"username": alice.username})
    assert alice_socket.call("contact:accept", {"request_id": asked["request"]["id"]})["ok"]
    shown = next_event(bob_socket, "presence", 3)
    assert (shown["user_id"], shown["visible"], shown["online"]) == (alice.id, True, True)
    # alice's own view of bob (last_seen everyone) never changed: she was told nothing.
    assert alice_socket.received["presence"] == []


def test_a_privacy_change_that_changes_nothing_sends_no_privacy_updated(register, connect):
    """Setting what is already set answers ok with the settings, and tells no tab anything (as
    conversation:muted: nothing is sent when nothing changed). It sent privacy:updated every time."""
    bob = register()
    asking, other_tab = connect(bob, EVENTS), connect(bob, EVENTS)
    same = other_tab.call("privacy:update", {"read_receipts": "everyone", "last_seen": "everyone"})
    assert same["ok"] and same["privacy"]["read_receipts"] == "everyone"
    assert bob.api("PUT", "/me/privacy", json={"direct_chats": "everyone"}).ok
    # The marker: a real change after them; the first privacy:updated each tab gets must be its.
    assert asking.call("privacy:update", {"last_seen": "contacts"})["ok"]
    for socket in (asking, other_tab):
        assert next_event(socket, "privacy:updated")["privacy"]["last_seen"] == "contacts"
    # And again after a row exists: the same value again is still nothing.
    assert bob.api("PUT", "/me/privacy", json={"last_seen": "contacts"}).ok
    assert asking.call("privacy:update", {"read_receipts": "nobody"})["ok"]
    for socket in (asking, other_tab):
        assert next_event(socket, "privacy:updated", 2)["privacy"]["read_receipts"] == "nobody"
        assert len(socket.received["privacy:updated"]) == 2
