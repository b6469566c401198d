"""Resync after a reconnect: a client that missed new, edited and deleted messages
rebuilds exactly the stored state from `sync` (socket) or /changes (REST)."""
from __future__ import annotations

import pytest

from tests.integration.chat import create_group, history, received, send, wait_for_message
from tests.servers import wait_for

pytestmark = pytest.mark.integration

FIELDS = ("seq", "body", "removed", "edited_at", "revision")


def apply(state: dict[int, dict], messages: list[dict]) -> None:
    """Keep the newest revision of each message, as a client does."""
    for message in messages:
        known = state.get(message["id"])
        if known is None or known["revision"] < message["revision"]:
            state[message["id"]] = message


def snapshot(messages) -> dict[int, tuple]:
    return {message["id"]: tuple(message[field] for field in FIELDS) for message in messages}


def change(socket, event: str, payload: dict) -> dict:
    ack = socket.call(event, payload)
    assert ack["ok"], ack
    return ack["message"]


def assert_pages_are_clean(pages: list[list[dict]]) -> None:
    """Each change appears once, in revision order, across all pages."""
    revisions = [message["revision"] for changes in pages for message in changes]
    assert revisions == sorted(revisions) and len(set(revisions)) == len(revisions)
    ids = [message["id"] for changes in pages for message in changes]
    assert len(set(ids)) == len(ids)


@pytest.fixture
def missed_changes(register, connect):
    """Carol follows a group live, disconnects, and misses sends, edits and deletes.
    Returns (carol, group_id, her state before disconnecting, her revision cursor)."""
    alice, bob, carol = register(), register(), register()
    group_id = create_group(alice, (bob, carol))
    alice_socket, bob_socket, carol_socket = connect(alice), connect(bob), connect(carol)

    early = [send(alice_socket, group_id, f"early {n}") for n in range(4)]
    early.append(send(bob_socket, group_id, "early from bob"))
    edited = change(alice_socket, "message:edit", {"message_id": early[0]["id"], "body": "early 0, edited live"})
    for message in early:
        wait_for_message(carol_socket, message)
    wait_for_message(carol_socket, edited, event="message:updated")
    state: dict[int, dict] = {}
    apply(state, received(carol_socket, "message:new", group_id))
    apply(state, received(carol_socket, "message:updated", group_id))
    cursor = max(message["revision"] for message in state.values())
    carol_socket.disconnect()
    wait_for(lambda: not carol_socket.client.connected, what="carol's socket closed")

    late = [send(alice_socket, group_id, f"late {n}") for n in range(5)]
    change(bob_socket, "message:edit", {"message_id": early[4]["id"], "body": "bob rewrote what carol had"})
    change(alice_socket, "message:delete", {"message_id": early[1]["id"]})
    change(alice_socket, "message:edit", {"message_id": early[2]["id"], "body": "early 2, first edit"})
    change(alice_socket, "message:edit", {"message_id": early[2]["id"], "body": "early 2, second edit"})
    change(alice_socket, "message:edit", {"message_id": late[0]["id"], "body": "late 0, edited"})
    change(alice_socket, "message:delete", {"message_id": late[1]["id"]})
    change(alice_socket, "message:edit", {"message_id": late[2]["id"], "body": "late 2, edited then deleted"})
    change(alice_socket, "message:delete", {"message_id": late[2]["id"]})
    send(bob_socket, group_id, "the very last")
    return carol, group_id, state, cursor


def test_sync_after_reconnect_rebuilds_exactly_the_stored_state(missed_changes, connect):
    carol, group_id, state, cursor = missed_changes
    carol_socket = connect(carol)
    pages, since = [], cursor
    while True:
        answer = carol_socket.call("sync", {"conversations": [{"conversation_id": group_id, "since": since}],
                                            "limit": 3})
        assert answer["ok"], answer
        (result,) = answer["conversations"]
        assert result["conversation_id"] == group_id and len(result["messages"]) <= 3
        pages.append(result["messages"])
        assert result["revision"] > since or not result["messages"]
        since = result["revision"]
        if not result["has_more"]:
            break

    assert len(pages) > 2  # the small limit really paged
    assert_pages_are_clean(pages)
    apply(state, [message for changes in pages for message in changes])
    stored = history(carol, group_id)
    assert snapshot(state.values()) == snapshot(stored)
    assert sorted(message["seq"] for message in state.values()) == list(range(1, len(stored) + 1))
    assert since == max(message["revision"] for message in stored)
    nothing_new = carol_socket.call("sync", {"conversations": [{"conversation_id": group_id, "since": since}]})
    assert nothing_new["conversations"][0]["messages"] == [] and nothing_new["conversations"][0]["has_more"] is False


def test_rest_changes_rebuild_exactly_the_stored_state(missed_changes):
    carol, group_id, state, cursor = missed_changes
    pages, since = [], cursor
    while True:
        response = carol.api("GET", f"/conversations/{group_id}/changes", params={"since": since, "limit": 2})
        assert response.status_code == 200, response.text
        result = response.json()
        pages.append(result["messages"])
        since = result["revision"]
        if not result["has_more"]:
            break

    assert_pages_are_clean(pages)
    apply(state, [message for changes in pages for message in changes])
    assert snapshot(state.values()) == snapshot(history(carol, group_id))


def test_stored_state_has_the_edits_and_deletions(missed_changes):
    """The reference the other tests compare with really holds the changes Carol missed."""
    carol, group_id, _, _ = missed_changes
    stored = {message["seq"]: message for message in history(carol, group_id)}
    assert stored[1]["body"] == "early 0, edited live" and stored[1]["edited_at"]
    assert stored[2]["removed"] is True and stored[2]["body"] == "" and stored[2]["removed_by"] == "author"
    assert stored[3]["body"] == "early 2, second edit"
    assert stored[5]["body"] == "bob rewrote what carol had"
    assert stored[8]["removed"] is True and stored[8]["body"] == ""
    assert stored[11]["body"] == "the very last" and len(stored) == 11


def test_a_full_resync_from_zero_matches_history(missed_changes, connect):
    carol, group_id, _, _ = missed_changes
    answer = connect(carol).call("sync", {"conversations": [{"conversation_id": group_id, "since": 0}]})
    (result,) = answer["conversations"]
    state: dict[int, dict] = {}
    apply(state, result["messages"])
    assert result["has_more"] is False
    assert snapshot(state.values()) == snapshot(history(carol, group_id))
