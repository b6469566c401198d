"""Who may read and post, checked through the live server: non-members get nothing, can
do nothing, and an unknown conversation is a 404."""
from __future__ import annotations

import pytest

from tests.integration.chat import create_group, history, open_direct, received, send, settle

pytestmark = pytest.mark.integration

UNKNOWN_CONVERSATION = 10_000_000


def test_a_non_member_receives_nothing_from_a_group(register, connect):
    alice, bob, mallory = register(), register(), register()
    group_id = create_group(alice, (bob,))
    direct_id = open_direct(alice, mallory)
    alice_socket, bob_socket, mallory_socket = connect(alice), connect(bob), connect(mallory)

    send(alice_socket, group_id, "members only")
    send(bob_socket, group_id, "members only, too")
    # Everything sent to the group before this direct message has reached mallory if it ever will.
    settle(alice_socket, direct_id, mallory_socket)

    assert received(mallory_socket, "message:new", group_id) == []
    assert [payload["message"]["body"] for payload in mallory_socket.received["message:new"]] == ["sentinel"]


def test_a_non_member_cannot_send_read_or_resync(register, connect):
    alice, mallory = register(), register()
    group_id = create_group(alice)
    send(connect(alice), group_id, "secret")
    mallory_socket = connect(mallory)

    ack = mallory_socket.call("message:send", {"conversation_id": group_id, "body": "let me in", "client_id": "m-1"})
    assert ack["ok"] is False and ack["error"]["code"] == "not_a_member"
    rest_send = mallory.api("POST", f"/conversations/{group_id}/messages", json={"body": "let me in"})
    assert rest_send.status_code == 403 and rest_send.json()["error"]["code"] == "not_a_member"

    for path in (f"/conversations/{group_id}/messages", f"/conversations/{group_id}",
                 f"/conversations/{group_id}/members"):
        response = mallory.api("GET", path)
        assert response.status_code == 403 and response.json()["error"]["code"] == "not_a_member", path
    changes = mallory.api("GET", f"/conversations/{group_id}/changes", params={"since": 0})
    assert changes.status_code == 403 and changes.json()["error"]["code"] == "not_a_member"
    socket_history = mallory_socket.call("messages:history", {"conversation_id": group_id})
    assert socket_history["ok"] is False and socket_history["error"]["code"] == "not_a_member"

    sync = mallory_socket.call("sync", {"conversations": [{"conversation_id": group_id, "since": 0}]})
    assert sync["ok"] is True
    assert sync["conversations"] == [{"conversation_id": group_id, "error": {
        "code": "not_a_member", "message": sync["conversations"][0]["error"]["message"]}}]
    assert [m["body"] for m in history(alice, group_id)] == ["secret"]


def test_one_lost_conversation_does_not_hide_the_others_in_a_sync(register, connect):
    alice, mallory = register(), register()
    theirs, ours = create_group(alice), open_direct(alice, mallory)
    sent = send(connect(alice), ours, "for mallory")

    sync = connect(mallory).call("sync", {"conversations": [{"conversation_id": theirs, "since": 0},
                                                            {"conversation_id": ours, "since": 0}]})

    lost, kept = sync["conversations"]
    assert lost["conversation_id"] == theirs and lost["error"]["code"] == "not_a_member"
    assert kept["conversation_id"] == ours and [m["id"] for m in kept["messages"]] == [sent["id"]]
    assert kept["revision"] == sent["revision"] and kept["has_more"] is False


def test_an_unknown_conversation_is_not_found(register, connect):
    alice = register()
    alice_socket = connect(alice)

    ack = alice_socket.call("message:send", {"conversation_id": UNKNOWN_CONVERSATION, "body": "hello?"})
    assert ack["ok"] is False and ack["error"]["code"] == "conversation_not_found"
    for method, path, params in (("GET", "/messages", {}), ("GET", "/changes", {"since": 0}),
                                 ("POST", "/messages", None), ("GET", "", {})):
        kwargs = {"params": params} if params is not None else {"json": {"body": "hello?"}}
        response = alice.api(method, f"/conversations/{UNKNOWN_CONVERSATION}{path}", **kwargs)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"]["code"] == "conversation_not_found"
    sync = alice_socket.call("sync", {"conversations": [{"conversation_id": UNKNOWN_CONVERSATION, "since": 0}]})
    assert sync["conversations"][0]["error"]["code"] == "conversation_not_found"
