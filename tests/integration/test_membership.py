"""Membership changes move a user's live sockets into and out of a conversation."""
from __future__ import annotations

import pytest

from tests.integration.chat import (
    create_group,
    events_for,
    open_direct,
    received,
    send,
    settle,
    wait_for_message,
)
from tests.servers import CHAT_EVENTS, wait_for

pytestmark = pytest.mark.integration


def wait_for_event(socket, event: str, conversation_id: int) -> dict:
    return wait_for(lambda: events_for(socket, event, conversation_id), what=f"{event} for {conversation_id}")[0]


def assert_gets_nothing_more(owner_socket, group_id: int, direct_id: int, *carol_sockets) -> None:
    """A group message after the removal does not reach Carol: a later direct message does."""
    after = send(owner_socket, group_id, "after carol is gone")
    settle(owner_socket, direct_id, *carol_sockets)
    for socket in carol_sockets:
        assert after["id"] not in [m["id"] for m in received(socket, "message:new", group_id)]


def test_added_member_sockets_join_and_removed_member_sockets_leave(register, connect):
    alice, bob, carol = register(), register(), register()
    group_id = create_group(alice, (bob,))
    direct_id = open_direct(alice, carol)
    alice_socket, bob_socket = connect(alice), connect(bob)
    carol_tabs = (connect(carol), connect(carol))  # every tab of the user moves
    send(alice_socket, group_id, "before carol")

    added = alice.api("POST", f"/groups/{group_id}/members", json={"user_id": carol.id})
    assert added.status_code == 201, added.text
    for tab in carol_tabs:
        announced = wait_for_event(tab, "conversation:added", group_id)
        assert announced["conversation"]["membership"]["user_id"] == carol.id
    welcome = send(bob_socket, group_id, "welcome carol")
    for tab in carol_tabs:
        wait_for_message(tab, welcome)
        # The membership note of her addition (docs/protocol.md "Membership notes") reaches her too.
        assert [(m["kind"], m["body"]) for m in received(tab, "message:new", group_id)] == [
            ("system", f"{alice.username} added {carol.username}"), ("text", "welcome carol")]

    removed = alice.api("DELETE", f"/groups/{group_id}/members/{carol.id}")
    assert removed.status_code == 200, removed.text
    for tab in carol_tabs:
        assert wait_for_event(tab, "conversation:removed", group_id)["reason"] == "removed"
    assert_gets_nothing_more(alice_socket, group_id, direct_id, *carol_tabs)
    assert carol.api("GET", f"/conversations/{group_id}/messages").status_code == 403
    ack = carol_tabs[0].call("message:send", {"conversation_id": group_id, "body": "still here?"})
    assert ack["ok"] is False and ack["error"]["code"] == "not_a_member"


def test_a_member_who_leaves_gets_no_more_messages(register, connect):
    alice, carol = register(), register()
    group_id = create_group(alice, (carol,))
    direct_id = open_direct(alice, carol)
    alice_socket, carol_socket = connect(alice), connect(carol)
    wait_for_message(carol_socket, send(alice_socket, group_id, "while carol is here"))

    left = carol.api("POST", f"/groups/{group_id}/leave")
    assert left.status_code == 200, left.text
    assert wait_for_event(carol_socket, "conversation:removed", group_id)["reason"] == "left"
    assert_gets_nothing_more(alice_socket, group_id, direct_id, carol_socket)
    left_event = wait_for(lambda: events_for(alice_socket, "member:left", group_id), what="member:left")
    assert left_event[0]["user_id"] == carol.id


def test_joining_a_public_group_starts_its_messages(register, connect):
    alice, carol = register(), register()
    public_id = create_group(alice, visibility="public")
    private_id = create_group(alice)
    alice_socket, carol_socket = connect(alice), connect(carol)

    refused = carol.api("POST", f"/groups/{private_id}/join")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "group_is_private"
    joined = carol.api("POST", f"/groups/{public_id}/join")
    assert joined.status_code == 200, joined.text
    wait_for_event(carol_socket, "conversation:added", public_id)
    hello = send(alice_socket, public_id, "hello newcomer")
    wait_for_message(carol_socket, hello)
    joined, message = received(carol_socket, "message:new", public_id)
    assert (joined["system"]["event"], joined["system"]["user_id"], message["id"]) == (
        "member_joined", carol.id, hello["id"])
    assert events_for(carol_socket, "conversation:added", private_id) == []


def test_opening_a_direct_chat_adds_both_live_sockets(register, connect):
    alice, bob = register(), register()
    alice_socket, bob_socket = connect(alice), connect(bob)

    direct_id = open_direct(alice, bob)
    for socket, other in ((alice_socket, bob), (bob_socket, alice)):
        added = wait_for_event(socket, "conversation:added", direct_id)
        assert added["conversation"]["kind"] == "direct" and added["conversation"]["title"] == other.username
    from_alice = send(alice_socket, direct_id, "hi bob")
    wait_for_message(bob_socket, from_alice)
    from_bob = send(bob_socket, direct_id, "hi alice")
    wait_for_message(alice_socket, from_bob)
    assert open_direct(bob, alice) == direct_id  # one conversation per pair


def test_another_members_sockets_hear_each_group_change_and_its_note(register, connect):
    """What the chat page's group panel follows: a member's live sockets get the member and
    conversation events of every change, with the membership note, in one connection's order."""
    alice, bob, carol = register(), register(), register()
    group_id = create_group(alice, (bob, carol))
    bob_socket = connect(bob, (*CHAT_EVENTS, "member:updated", "conversation:updated"))

    def next_note(event: str) -> dict:
        return wait_for(lambda: [m for m in received(bob_socket, "message:new", group_id)
                                 if (m["system"] or {}).get("event") == event], what=f"the {event} note")[-1]

    assert alice.api("PATCH", f"/groups/{group_id}/members/{carol.id}", json={"role": "admin"}).status_code == 200
    promoted = next_note("role_changed")
    assert (promoted["system"]["user_id"], promoted["system"]["role"], promoted["body"]) == (
        carol.id, "admin", f"{alice.username} made {carol.username} an admin")
    assert events_for(bob_socket, "member:updated", group_id)[-1]["member"]["role"] == "admin"

    assert alice.api("PATCH", f"/groups/{group_id}", json={"name": "Renamed"}).status_code == 200
    assert next_note("group_renamed")["system"]["name"] == "Renamed"
    assert events_for(bob_socket, "conversation:updated", group_id)[-1]["conversation"]["name"] == "Renamed"

    assert alice.api("POST", f"/groups/{group_id}/owner", json={"user_id": bob.id}).status_code == 200
    assert next_note("ownership_transferred")["system"]["user_id"] == bob.id
    roles = {event["member"]["id"]: event["member"]["role"] for event in events_for(bob_socket, "member:updated",
                                                                                       group_id)}
    assert (roles[bob.id], roles[alice.id]) == ("owner", "admin")

    refused = alice.api("DELETE", f"/groups/{group_id}")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_a_group_owner"
    assert bob.api("DELETE", f"/groups/{group_id}").status_code == 202
    assert wait_for_event(bob_socket, "conversation:removed", group_id)["reason"] == "deleted"  # the job's end
    assert bob.api("GET", f"/conversations/{group_id}").status_code == 404
