"""Helpers of the chat page tests: set up conversations through the API, read what was stored,
and check that a page saw nothing go wrong."""
from __future__ import annotations

import uuid

from tests.servers import ChatUser


def group_with(owner: ChatUser, *members: ChatUser) -> dict:
    response = owner.api("POST", "/groups", json={"name": f"Team {uuid.uuid4().hex[:6]}", "visibility": "private",
                                                  "member_ids": [member.id for member in members]})
    assert response.status_code == 201, response.text
    return response.json()["conversation"]


def post(user: ChatUser, conversation_id: int, body: str) -> dict:
    response = user.api("POST", f"/conversations/{conversation_id}/messages",
                        json={"body": body, "client_id": uuid.uuid4().hex})
    assert response.status_code == 201, response.text
    return response.json()["message"]


def stored_bodies(user: ChatUser, conversation_id: int) -> list[str]:
    response = user.api("GET", f"/conversations/{conversation_id}/messages", params={"after": 0, "limit": 100})
    return [message["body"] for message in response.json()["messages"]]


def page_user_id(chat) -> int:
    return chat.page.evaluate("JSON.parse(document.getElementById('app').dataset.me).id")


def assert_nothing_went_wrong(*chats) -> None:
    for chat in chats:
        assert chat.dialogs == []
        assert chat.errors == []
