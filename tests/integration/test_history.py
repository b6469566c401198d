"""History paging over REST and the socket: every message exactly once, in order."""
from __future__ import annotations

import pytest

from tests.integration.chat import create_group

pytestmark = pytest.mark.integration

MESSAGE_COUNT = 23


@pytest.fixture
def filled_group(register):
    """A group with MESSAGE_COUNT messages (seq 1..23), and a member to read it."""
    alice, bob = register(), register()
    group_id = create_group(alice, (bob,))
    for number in range(1, MESSAGE_COUNT + 1):
        response = alice.api("POST", f"/conversations/{group_id}/messages",
                             json={"body": f"message {number}", "client_id": f"h-{number}"})
        assert response.status_code == 201, response.text
    return group_id, bob


def page(user, group_id: int, **params) -> dict:
    response = user.api("GET", f"/conversations/{group_id}/messages", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_default_page_is_the_newest_first(filled_group):
    group_id, bob = filled_group
    newest = page(bob, group_id, limit=5)
    assert [m["seq"] for m in newest["messages"]] == [23, 22, 21, 20, 19]
    assert newest["has_more"] is True
    everything = page(bob, group_id)  # the default limit (50) holds them all
    assert [m["seq"] for m in everything["messages"]] == list(range(MESSAGE_COUNT, 0, -1))
    assert everything["has_more"] is False


def test_paging_back_with_before_returns_every_message_once(filled_group):
    group_id, bob = filled_group
    seen, params = [], {"limit": 7}
    while True:
        current = page(bob, group_id, **params)
        seen.extend(current["messages"])
        if not current["has_more"]:
            break
        params = {"limit": 7, "before": current["messages"][-1]["seq"]}
    assert [m["seq"] for m in seen] == list(range(MESSAGE_COUNT, 0, -1))
    assert [m["body"] for m in seen] == [f"message {n}" for n in range(MESSAGE_COUNT, 0, -1)]
    assert len({m["id"] for m in seen}) == MESSAGE_COUNT


def test_paging_forward_with_after_returns_oldest_first(filled_group):
    group_id, bob = filled_group
    seen, after = [], 0
    while True:
        current = page(bob, group_id, after=after, limit=6)
        seen.extend(current["messages"])
        if not current["has_more"]:
            break
        after = current["messages"][-1]["seq"]
    assert [m["seq"] for m in seen] == list(range(1, MESSAGE_COUNT + 1))
    assert len({m["id"] for m in seen}) == MESSAGE_COUNT
    assert page(bob, group_id, after=MESSAGE_COUNT) == {"ok": True, "messages": [], "has_more": False}


def test_socket_history_pages_like_rest(filled_group, connect):
    group_id, bob = filled_group
    socket = connect(bob)
    first = socket.call("messages:history", {"conversation_id": group_id, "limit": 10})
    second = socket.call("messages:history", {"conversation_id": group_id, "limit": 10, "before": 14})
    assert first["ok"] and [m["seq"] for m in first["messages"]] == list(range(23, 13, -1))
    assert second["ok"] and [m["seq"] for m in second["messages"]] == list(range(13, 3, -1))
    assert first["messages"] == page(bob, group_id, limit=10)["messages"]


@pytest.mark.parametrize("params, code", [
    ({"limit": 101}, "invalid_limit"),
    ({"limit": 0}, "invalid_limit"),
    ({"limit": "ten"}, "invalid_limit"),
    ({"before": 0}, "invalid_before"),
    ({"after": -1}, "invalid_after"),
    ({"after": "x"}, "invalid_after"),
])
def test_bad_paging_parameters_are_400(register, connect, params, code):
    bob = register()
    group_id = create_group(bob)
    response = bob.api("GET", f"/conversations/{group_id}/messages", params=params)
    assert response.status_code == 400 and response.json()["error"]["code"] == code
    ack = connect(bob).call("messages:history", {"conversation_id": group_id, **params})
    assert ack["ok"] is False and ack["error"]["code"] == code


def test_the_largest_page_is_100(filled_group):
    group_id, bob = filled_group
    largest = page(bob, group_id, limit=100)
    assert [m["seq"] for m in largest["messages"]] == list(range(MESSAGE_COUNT, 0, -1))
    assert largest["has_more"] is False
