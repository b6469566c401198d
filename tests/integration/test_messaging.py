"""Sending through the live server: live delivery, the stored message in the ack, and
idempotent retries (socket and REST)."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import websocket

from tests.integration.chat import (
    create_group,
    delivery_counts,
    history,
    open_direct,
    received,
    send,
    settle,
    wait_for_message,
)

pytestmark = pytest.mark.integration


def wire(message: dict) -> tuple:
    return message["id"], message["seq"], message["revision"], message["body"], message["sender"]["id"]


@pytest.mark.parametrize("kind", ["group", "direct"])
def test_two_users_receive_each_others_messages_live(register, connect, kind):
    alice, bob = register(), register()
    alice_socket, bob_socket = connect(alice), connect(bob)
    conversation_id = create_group(alice, (bob,)) if kind == "group" else open_direct(alice, bob)

    from_alice = send(alice_socket, conversation_id, "hello bob")
    wait_for_message(bob_socket, from_alice)
    from_bob = send(bob_socket, conversation_id, "hello alice")
    wait_for_message(alice_socket, from_bob)
    wait_for_message(bob_socket, from_bob)  # members get their own messages too (other tabs)

    assert (from_alice["seq"], from_alice["body"], from_alice["sender"]["id"]) == (1, "hello bob", alice.id)
    assert (from_bob["seq"], from_bob["body"], from_bob["sender"]["id"]) == (2, "hello alice", bob.id)
    assert [wire(m) for m in received(bob_socket, "message:new", conversation_id)] == \
        [wire(from_alice), wire(from_bob)]
    assert [wire(m) for m in received(alice_socket, "message:new", conversation_id)] == \
        [wire(from_alice), wire(from_bob)]


def test_ack_carries_the_stored_message_which_history_returns(register, connect):
    alice, bob = register(), register()
    group_id = create_group(alice, (bob,))
    alice_socket = connect(alice)

    acked = [send(alice_socket, group_id, f"message {number}", client_id=f"ack-{number}") for number in range(3)]

    assert [m["seq"] for m in acked] == [1, 2, 3]
    assert [m["revision"] for m in acked] == [1, 2, 3]
    assert len({m["id"] for m in acked}) == 3
    for message in acked:
        assert message["created_at"] and message["edited_at"] is None and message["removed"] is False
        assert message["conversation_id"] == group_id and message["kind"] == "text"
    assert [m["client_id"] for m in acked] == ["ack-0", "ack-1", "ack-2"]
    assert history(bob, group_id) == acked


def test_an_event_the_server_does_not_have_gets_an_error_ack(register, connect):
    alice, bob = register(), register()
    group_id = create_group(alice, (bob,))
    alice_socket = connect(alice)
    unknown = alice_socket.call("message:sned", {"conversation_id": group_id, "body": "typo"})
    assert unknown == {"ok": False, "error": {"code": "unknown_event", "message": "The server has no such event."}}
    assert history(alice, group_id) == []
    assert send(alice_socket, group_id, "still here")["seq"] == 1


def _raw_socket(server_url: str, token: str) -> websocket.WebSocket:
    """A Socket.IO connection over a raw websocket, connected with `token` on the default namespace."""
    ws = websocket.create_connection(server_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket",
                                     timeout=10)
    assert ws.recv().startswith("0")
    ws.send("40" + json.dumps({"token": token}))
    assert ws.recv().startswith("40")
    return ws


def _acks(server_url: str, token: str, packets: list) -> list:
    """Each packet's data (`42<ack id>` + its JSON) sent over a raw Socket.IO websocket, one at a time; each ack."""
    ws = _raw_socket(server_url, token)
    try:
        answers = []
        for ack_id, data in enumerate(packets):
            ws.send(f"42{ack_id}" + json.dumps(data))
            while not (frame := ws.recv()).startswith(f"43{ack_id}["):  # events and pings meanwhile
                if frame == "2":
                    ws.send("3")
            answers.append(json.loads(frame[len(f"43{ack_id}"):]))
        return answers
    finally:
        ws.close()


def test_an_event_named_as_the_connections_own_or_by_no_string_gets_an_error_ack(register):
    """python-socketio runs the connect, disconnect and catch-all handlers for an event of that name, and
    indexes its handlers with whatever the name is: none of these ran a handler or may go unanswered."""
    alice, bob = register(), register()
    group_id = create_group(alice, (bob,))
    unknown = {"ok": False, "error": {"code": "unknown_event", "message": "The server has no such event."}}
    answers = _acks(alice.server_url, alice.token, [
        ["connect", {"token": bob.token}], ["disconnect", "client disconnect"], ["*", {}],
        [["message:send"], {"conversation_id": group_id, "body": "x"}], [{"a": 1}], [], {},
        ["message:send", {"conversation_id": group_id, "body": "after them", "client_id": "after"}]])
    assert answers[:-1] == [[unknown]] * 7
    assert answers[-1][0]["ok"] is True and history(alice, group_id)[0]["body"] == "after them"


@pytest.mark.parametrize("unreadable", ["4", "4x", "44", "47", "42" + "[" * 40 + "]" * 40, '42{"a":',
                                        ('451-1["typing",{"_placeholder":true,"num":5}]', b"x"),
                                        ('451-1["typing",{"_placeholder":true,"num":"x"}]', b"x")])
def test_a_socket_io_packet_that_does_not_decode_closes_its_connection(register, live_server, unreadable):
    """As a long-polling post that does not decode does (docs/protocol.md); python-engineio logged a
    traceback for each and read on."""
    alice = register()
    ws = _raw_socket(alice.server_url, alice.token)
    try:
        for packet in unreadable if isinstance(unreadable, tuple) else (unreadable,):
            ws.send(packet, websocket.ABNF.OPCODE_BINARY if isinstance(packet, bytes) else websocket.ABNF.OPCODE_TEXT)
        while (frame := ws.recv()) == "2":  # a ping meanwhile
            ws.send("3")
        assert frame == "1"  # Engine.IO's close
        assert ws.recv() == ""  # then the websocket's: websocket-client answers it and gives no data
        assert not ws.connected
    finally:
        ws.close()
    assert "message handler error" not in live_server.log_text()


@pytest.mark.parametrize("unreadable", ["4x", "4"])  # "4": no Socket.IO packet at all, once read as an event
def test_a_socket_io_packet_that_does_not_decode_closes_a_long_polling_connection(register, unreadable):
    alice = register()
    opened = requests.get(f"{alice.server_url}/socket.io/?EIO=4&transport=polling", timeout=10)
    url = f"{alice.server_url}/socket.io/?EIO=4&transport=polling&sid={json.loads(opened.text[1:])['sid']}"
    assert requests.post(url, data="40" + json.dumps({"token": alice.token}), timeout=10).ok
    assert requests.get(url, timeout=10).text.startswith("40")
    assert requests.post(url, data=unreadable, timeout=10).ok  # the post itself was read
    assert requests.get(url, timeout=40).status_code == 400  # the connection is gone


def test_socket_retry_with_the_same_client_id_is_stored_and_delivered_once(register, connect):
    alice, bob = register(), register()
    group_id = create_group(alice, (bob,))
    alice_socket, bob_socket = connect(alice), connect(bob)

    first = alice_socket.call("message:send", {"conversation_id": group_id, "body": "once", "client_id": "retry-1"})
    retry = alice_socket.call("message:send", {"conversation_id": group_id, "body": "once", "client_id": "retry-1"})
    settle(alice_socket, group_id, bob_socket)

    assert first["ok"] and first["duplicate"] is False
    assert retry["ok"] and retry["duplicate"] is True
    assert retry["message"] == first["message"]
    assert delivery_counts(bob_socket, group_id)[first["message"]["id"]] == 1
    assert [m["body"] for m in history(bob, group_id)] == ["once", "sentinel"]


def test_rest_retry_answers_200_with_the_first_message_and_no_second_delivery(register, connect):
    alice, bob = register(), register()
    group_id = create_group(alice, (bob,))
    alice_socket, bob_socket = connect(alice), connect(bob)
    path = f"/conversations/{group_id}/messages"

    first = alice.api("POST", path, json={"body": "over rest", "client_id": "rest-1"})
    retry = alice.api("POST", path, json={"body": "over rest, again", "client_id": "rest-1"})
    settle(alice_socket, group_id, bob_socket)

    assert first.status_code == 201 and first.json()["duplicate"] is False
    assert retry.status_code == 200 and retry.json()["duplicate"] is True
    assert retry.json()["message"] == first.json()["message"]
    assert retry.json()["message"]["body"] == "over rest"
    assert delivery_counts(bob_socket, group_id)[first.json()["message"]["id"]] == 1
    assert [m["seq"] for m in history(bob, group_id)] == [1, 2]


def test_a_retry_after_a_block_still_answers_the_stored_message(register, connect):
    """docs/protocol.md, Idempotency: the ack of a stored message was lost, then the other person
    blocked the sender; the retry (socket or REST) answers the message with duplicate: true, not
    cannot_message_user, so the client does not take it for unsent. A new message stays refused."""
    alice, bob = register(), register()
    direct_id = open_direct(alice, bob)
    alice_socket, bob_socket = connect(alice), connect(bob)
    first = send(alice_socket, direct_id, "before the block", client_id="lost-ack")
    wait_for_message(bob_socket, first)
    assert bob.api("POST", "/blocks", json={"user_id": alice.id}).status_code == 201

    by_socket = alice_socket.call("message:send", {"conversation_id": direct_id, "body": "before the block",
                                                   "client_id": "lost-ack"})
    by_rest = alice.api("POST", f"/conversations/{direct_id}/messages",
                        json={"body": "before the block", "client_id": "lost-ack"})
    assert (by_socket["ok"], by_socket["duplicate"], by_socket["message"]["id"]) == (True, True, first["id"])
    answer = by_rest.json()
    assert (by_rest.status_code, answer["duplicate"], answer["message"]["id"]) == (200, True, first["id"])
    refused = alice_socket.call("message:send", {"conversation_id": direct_id, "body": "after", "client_id": "new"})
    assert refused["error"]["code"] == "cannot_message_user"
    assert [m["body"] for m in history(bob, direct_id)] == ["before the block"]
    assert delivery_counts(bob_socket, direct_id) == {first["id"]: 1}


def test_a_client_id_reused_in_another_conversation_is_refused(register, connect):
    alice, bob = register(), register()
    group_id, direct_id = create_group(alice, (bob,)), open_direct(alice, bob)
    alice_socket = connect(alice)
    send(alice_socket, group_id, "first", client_id="shared-id")

    by_socket = alice_socket.call("message:send", {"conversation_id": direct_id, "body": "x", "client_id": "shared-id"})
    by_rest = alice.api("POST", f"/conversations/{direct_id}/messages", json={"body": "x", "client_id": "shared-id"})

    assert by_socket == {"ok": False, "error": {"code": "client_id_reused", "message": by_socket["error"]["message"]}}
    assert by_rest.status_code == 409 and by_rest.json()["error"]["code"] == "client_id_reused"
    assert history(alice, direct_id) == []
    assert [m["body"] for m in history(alice, group_id)] == ["first"]


def test_simultaneous_retries_store_one_message(register, connect):
    alice, bob = register(), register()
    group_id = create_group(alice, (bob,))
    alice_socket, bob_socket = connect(alice), connect(bob)

    def post(_) -> requests.Response:
        return alice.api("POST", f"/conversations/{group_id}/messages", json={"body": "flaky network",
                                                                             "client_id": "same-1"})

    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(post, range(6)))
    settle(alice_socket, group_id, bob_socket)

    assert sorted(response.status_code for response in responses) == [200] * 5 + [201]
    assert len({response.json()["message"]["id"] for response in responses}) == 1
    assert list(delivery_counts(bob_socket, group_id).values()) == [1, 1]  # the message and the sentinel
    assert [m["body"] for m in history(bob, group_id)] == ["flaky network", "sentinel"]
