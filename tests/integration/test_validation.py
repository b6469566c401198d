"""Invalid payloads get a clear error in the ack (or a 400) and store nothing."""
from __future__ import annotations

import pytest
import requests

from tests.integration.chat import create_group, history, received, send, settle

pytestmark = pytest.mark.integration

MAX_LENGTH = 4000  # MESSAGE_MAX_LENGTH's default


@pytest.fixture
def chat(register, connect):
    """Alice and Bob in a group, both connected."""
    alice, bob = register(), register()
    group_id = create_group(alice, (bob,))
    return alice, connect(alice), connect(bob), group_id


def good_send(group_id: int) -> dict:
    return {"conversation_id": group_id, "body": "fine", "client_id": "fine-1"}


def bad_sends(group_id: int) -> list[tuple[object, str]]:
    good = good_send(group_id)
    return [
        (["not", "an", "object"], "invalid_payload"),
        ("just a string", "invalid_payload"),
        (42, "invalid_payload"),
        ({}, "invalid_conversation_id"),
        ({**good, "conversation_id": "general"}, "invalid_conversation_id"),
        ({**good, "conversation_id": True}, "invalid_conversation_id"),
        ({"conversation_id": group_id, "client_id": "no-body"}, "invalid_body"),
        ({**good, "body": ""}, "invalid_body"),
        ({**good, "body": "   \n "}, "invalid_body"),
        ({**good, "body": ["a", "list"]}, "invalid_body"),
        ({**good, "body": "x" * (MAX_LENGTH + 1)}, "invalid_body"),
        ({**good, "body": "nul \x00 inside"}, "invalid_body"),
        ({**good, "client_id": "has spaces"}, "invalid_client_id"),
        ({**good, "client_id": "c" * 65}, "invalid_client_id"),
        ({**good, "client_id": 7}, "invalid_client_id"),
    ]


def test_invalid_sends_are_refused_and_store_nothing(chat):
    alice, alice_socket, bob_socket, group_id = chat
    for payload, code in bad_sends(group_id):
        ack = alice_socket.call("message:send", payload)
        assert ack["ok"] is False, payload
        assert ack["error"]["code"] == code and ack["error"]["message"], (payload, ack)
    assert history(alice, group_id) == []
    settle(alice_socket, group_id, bob_socket)
    assert [m["body"] for m in received(bob_socket, "message:new", group_id)] == ["sentinel"]
    assert [m["seq"] for m in history(alice, group_id)] == [1]  # no seq was used up by a refusal


def test_bytes_from_a_client_are_refused_as_any_wrong_type_and_store_nothing(chat):
    """Socket.IO clients send bytes as binary attachments (python-socketio here, the JS client the
    same): the server still reads such events, though it never sends any (realtime.text_packets)."""
    alice, alice_socket, bob_socket, group_id = chat
    good = good_send(group_id)
    for payload, code in [(b"raw bytes", "invalid_payload"), ({**good, "body": b"fine"}, "invalid_body"),
                          ({**good, "client_id": b"fine-1"}, "invalid_client_id"),
                          ({**good, "conversation_id": b"1"}, "invalid_conversation_id")]:
        ack = alice_socket.call("message:send", payload)
        assert ack["ok"] is False and ack["error"]["code"] == code, (payload, ack)
    assert history(alice, group_id) == []
    settle(alice_socket, group_id, bob_socket)
    assert [m["seq"] for m in history(alice, group_id)] == [1]


def test_invalid_rest_sends_are_400_and_store_nothing(chat):
    alice, _, _, group_id = chat
    path = f"/conversations/{group_id}/messages"
    for payload, code in bad_sends(group_id):
        if code == "invalid_conversation_id":
            continue  # over REST the conversation is in the URL
        expected = code if isinstance(payload, dict) else "invalid_json"
        if isinstance(payload, dict):  # the URL names the conversation: the field is not taken (invalid_field)
            payload = {name: value for name, value in payload.items() if name != "conversation_id"}
        response = alice.api("POST", path, json=payload)
        assert response.status_code == 400 and response.json()["error"]["code"] == expected, payload
    not_json = requests.post(f"{alice.server_url}/api{path}", data="body=hello", timeout=10,
                             headers={**alice.headers, "Content-Type": "text/plain"})
    assert not_json.status_code == 400 and not_json.json()["error"]["code"] == "invalid_json"
    assert history(alice, group_id) == []


def test_the_longest_body_is_accepted(chat):
    alice, alice_socket, _, group_id = chat
    longest = send(alice_socket, group_id, "y" * MAX_LENGTH)
    assert [m["body"] for m in history(alice, group_id)] == ["y" * MAX_LENGTH]
    assert longest["body"] == "y" * MAX_LENGTH


def test_invalid_edits_and_deletes_change_nothing(chat):
    alice, alice_socket, bob_socket, group_id = chat
    original = send(alice_socket, group_id, "original")
    for event, payload, code in (
        ("message:edit", "not an object", "invalid_payload"),
        ("message:edit", {}, "invalid_message_id"),
        ("message:edit", {"message_id": original["id"], "body": ""}, "invalid_body"),
        ("message:edit", {"message_id": original["id"], "body": "z" * (MAX_LENGTH + 1)}, "invalid_body"),
        ("message:delete", {"message_id": "first"}, "invalid_message_id"),
        ("message:delete", {"message_id": 10_000_000}, "message_not_found"),
    ):
        ack = alice_socket.call(event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == code, (event, payload, ack)
    by_bob = bob_socket.call("message:edit", {"message_id": original["id"], "body": "bob's version"})
    assert by_bob["ok"] is False and by_bob["error"]["code"] == "not_the_author"
    by_bob = bob_socket.call("message:delete", {"message_id": original["id"]})
    assert by_bob["ok"] is False and by_bob["error"]["code"] == "not_the_author"
    assert history(alice, group_id) == [original]


@pytest.mark.parametrize("payload, code", [
    ("not an object", "invalid_payload"),
    ({}, "invalid_conversations"),
    ({"conversations": "all"}, "invalid_conversations"),
    ({"conversations": ["x"]}, "invalid_conversations"),
    ({"conversations": [{"conversation_id": 1}]}, "invalid_since"),
    ({"conversations": [{"conversation_id": 1, "since": -1}]}, "invalid_since"),
    ({"conversations": [], "limit": 501}, "invalid_limit"),
])
def test_invalid_sync_requests_are_refused(register, connect, payload, code):
    ack = connect(register()).call("sync", payload)
    assert ack["ok"] is False and ack["error"]["code"] == code, ack
