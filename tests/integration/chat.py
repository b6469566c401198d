"""Helpers for the chat-core integration tests: groups, sends, history and the events
a RecordingSocket received, all through the live server's real API and sockets."""
from __future__ import annotations

import uuid
from collections import Counter

from tests.servers import ChatUser, RecordingSocket, wait_for


def group_with(owner: ChatUser, *members: ChatUser, name: str | None = None, visibility: str = "private",
               description: str = "") -> dict:
    """A group of `owner` with `members` made through the API (private unless told), named `name`
    (else a fresh 'Team …'): the conversation as the API answers it."""
    response = owner.api("POST", "/groups", json={"name": name or f"Team {uuid.uuid4().hex[:6]}",
                                                  "visibility": visibility, "description": description,
                                                  "member_ids": [member.id for member in members]})
    assert response.status_code == 201, response.text
    return response.json()["conversation"]


def create_group(owner: ChatUser, members: tuple[ChatUser, ...] = (), visibility: str = "private") -> int:
    """The id of a new group_with(owner, *members)."""
    return group_with(owner, *members, visibility=visibility)["id"]


def open_direct(user: ChatUser, other: ChatUser) -> int:
    response = user.api("POST", "/direct", json={"user_id": other.id})
    assert response.status_code in (200, 201), response.text
    return response.json()["conversation"]["id"]


def post(user: ChatUser, conversation_id: int, body: str) -> dict:
    """A message `user` posts through the API (not a socket): the message as stored."""
    response = user.api("POST", f"/conversations/{conversation_id}/messages",
                        json={"body": body, "client_id": uuid.uuid4().hex})
    assert response.status_code == 201, response.text
    return response.json()["message"]


def send(socket: RecordingSocket, conversation_id: int, body: str, client_id: str | None = None) -> dict:
    """Send over the socket and return the stored message from the ack."""
    ack = socket.call("message:send", {"conversation_id": conversation_id, "body": body,
                                       "client_id": client_id or f"c-{uuid.uuid4().hex}"})
    assert ack["ok"], ack
    return ack["message"]


def history(user: ChatUser, conversation_id: int, page_size: int = 100) -> list[dict]:
    """Every stored message of the conversation, oldest first, paged with `after`."""
    messages, after = [], 0
    while True:
        response = user.api("GET", f"/conversations/{conversation_id}/messages",
                            params={"after": after, "limit": page_size})
        assert response.status_code == 200, response.text
        page = response.json()
        messages.extend(page["messages"])
        if not page["has_more"]:
            return messages
        after = page["messages"][-1]["seq"]


def received(socket: RecordingSocket, event: str, conversation_id: int) -> list[dict]:
    """The messages of `conversation_id` the socket received as `event`, in arrival order."""
    return [payload["message"] for payload in list(socket.received[event])
            if payload["message"]["conversation_id"] == conversation_id]


def wait_for_message(socket: RecordingSocket, message: dict, event: str = "message:new") -> None:
    wait_for(lambda: any(m["id"] == message["id"] and m["revision"] == message["revision"]
                         for m in received(socket, event, message["conversation_id"])),
             what=f"{event} for message {message['id']}")


def settle(sender: RecordingSocket, conversation_id: int, *receivers: RecordingSocket) -> dict:
    """Send a sentinel and wait until every receiver has it: a socket gets its events in
    order, so whatever was published to them before has arrived by then."""
    sentinel = send(sender, conversation_id, "sentinel")
    for receiver in receivers:
        wait_for_message(receiver, sentinel)
    return sentinel


def delivery_counts(socket: RecordingSocket, conversation_id: int) -> Counter:
    return Counter(message["id"] for message in received(socket, "message:new", conversation_id))


def events_for(socket: RecordingSocket, event: str, conversation_id: int) -> list[dict]:
    """Payloads of conversation-level events (added, removed, read) about one conversation."""
    def about(payload: dict) -> int:
        return payload["conversation"]["id"] if "conversation" in payload else payload["conversation_id"]
    return [payload for payload in list(socket.received[event]) if about(payload) == conversation_id]
