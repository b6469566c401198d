"""Search in the chat through a real server: REST and Socket.IO find the messages of the caller's
conversations only, Chinese terms of one and two characters included; filters, keyset paging, and
refusals that change nothing."""
from __future__ import annotations

import pytest

from tests.integration.chat import group_with, post
from tests.servers import ChatUser

pytestmark = pytest.mark.integration


def bodies(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [message["body"] for message in response.json()["messages"]]


def test_search_covers_the_callers_conversations_only(notifications_server):
    alice, bob, eve = (ChatUser.register(notifications_server.url) for _ in range(3))
    ours, alices_other, eves = group_with(alice, bob)["id"], group_with(alice)["id"], group_with(eve)["id"]
    post(alice, ours, "你好世界")
    post(bob, ours, "Smartwatches are 世界 famous")
    post(alice, alices_other, "世界 in another group of alice")
    post(eve, eves, "eve's 世界 is private")
    deleted = post(bob, ours, "deleted 世界")
    assert bob.api("DELETE", f"/messages/{deleted['id']}").status_code in (200, 204)

    # Two characters, one character: both found, only in bob's conversations, removed ones left out.
    assert bodies(bob.api("GET", "/search/messages", params={"q": "世界"})) == [
        "Smartwatches are 世界 famous", "你好世界"]
    assert bodies(bob.api("GET", "/search/messages", params={"q": "你"})) == ["你好世界"]
    assert bodies(alice.api("GET", "/search/messages", params={"q": "世界"})) == [
        "世界 in another group of alice", "Smartwatches are 世界 famous", "你好世界"]
    # Parts of words, ASCII case ignored, every term.
    answer = bob.api("GET", "/search/messages", params={"q": "WATCH 世界"})
    assert bodies(answer) == ["Smartwatches are 世界 famous"] and answer.json()["terms"] == ["WATCH", "世界"]

    # A conversation filter; keyset paging.
    assert bodies(alice.api("GET", "/search/messages", params={"q": "世界", "conversation_id": alices_other})) == [
        "世界 in another group of alice"]
    first = alice.api("GET", "/search/messages", params={"q": "世界", "limit": 2}).json()
    assert first["has_more"] is True and len(first["messages"]) == 2
    rest = alice.api("GET", "/search/messages", params={"q": "世界", "limit": 2,
                                                       "before_id": first["messages"][-1]["id"]}).json()
    assert [m["body"] for m in rest["messages"]] == ["你好世界"] and rest["has_more"] is False

    # Dates: until before everything finds nothing, since far in the past finds all.
    assert bodies(alice.api("GET", "/search/messages", params={"q": "世界", "until": "2000-01-01"})) == []
    assert len(bodies(alice.api("GET", "/search/messages", params={"q": "世界", "since": "2000-01-01T00:00:00Z"}))) == 3

    # Refusals: someone else's conversation, bad filters, no query.
    refused = bob.api("GET", "/search/messages", params={"q": "世界", "conversation_id": eves})
    assert refused.status_code in (403, 404) and refused.json()["ok"] is False
    for params, code in (({"q": "世界", "since": "yesterday"}, "invalid_since"),
                         ({"q": "世界", "until": "2026-13-01"}, "invalid_until"),
                         ({"q": "世界", "before_id": "x"}, "invalid_before_id"),
                         ({"q": "世界", "limit": "0"}, "invalid_limit"), ({}, None)):
        answer = bob.api("GET", "/search/messages", params=params)
        assert answer.status_code == 400, (params, answer.text)
        if code:
            assert answer.json()["error"]["code"] == code


def test_search_over_socketio(notifications_server):
    alice, bob, eve = (ChatUser.register(notifications_server.url) for _ in range(3))
    ours, eves = group_with(alice, bob)["id"], group_with(eve)["id"]
    post(alice, ours, "会议 moved to Friday")
    post(eve, eves, "会议 of eve")
    socket = bob.socket(())
    try:
        answer = socket.call("messages:search", {"query": "会议"})
        assert answer["ok"] is True and [m["body"] for m in answer["messages"]] == ["会议 moved to Friday"]
        assert answer["messages"][0]["conversation_id"] == ours and answer["has_more"] is False
        refused = socket.call("messages:search", {"query": "会议", "conversation_id": eves})
        assert refused["ok"] is False and refused["error"]["code"]
        assert socket.call("messages:search", {"query": ""})["ok"] is False
        assert socket.call("messages:search", {"query": "会议", "since": 5})["error"]["code"] == "invalid_since"
    finally:
        socket.disconnect()
