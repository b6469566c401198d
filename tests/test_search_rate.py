"""SEARCHES_PER_MINUTE: a user's searches of their messages, REST and socket together, are counted before
anything else (valid or not) and refused `rate_limited` past the limit; a user in no conversation reads
no message at all."""
from __future__ import annotations

import pytest

from actions.messages import send_message
from actions.rate_limits import MemoryCounters
from tests.factories import make_group
from tests.helpers import bearer, error_of
from tests.query_count import statements


@pytest.fixture
def clock(app):
    now = {"now": 1_000_000.0}
    app.extensions["rate_limits"] = MemoryCounters(clock=lambda: now["now"])
    return now


@pytest.mark.parametrize("app_settings", [{"SEARCHES_PER_MINUTE": 3}])
def test_searches_past_the_limit_are_refused_over_rest_and_socket_alike(client, alice, bob, socket_client_for,
                                                                        clock):
    group_id = make_group(alice, "Team", [bob]).id
    send_message(alice, group_id, "find me")
    headers, socket = bearer(alice), socket_client_for("alice")
    found = client.get("/api/search/messages?q=find", headers=headers)
    assert found.status_code == 200 and [m["body"] for m in found.get_json()["messages"]] == ["find me"]
    assert error_of(client.get("/api/search/messages?q=", headers=headers)) == (400, "invalid_query")  # counted too
    assert socket.emit("messages:search", {"query": "find"}, callback=True)["ok"]
    refused = client.get("/api/search/messages?q=find", headers=headers)
    assert error_of(refused) == (429, "rate_limited") and int(refused.headers["Retry-After"]) >= 1
    ack = socket.emit("messages:search", {"query": "find"}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "rate_limited" and ack["error"]["retry_after"] >= 1
    assert client.get("/api/search/messages?q=find", headers=bearer(bob)).status_code == 200  # one user's limit
    clock["now"] += 120
    assert client.get("/api/search/messages?q=find", headers=headers).status_code == 200


def test_a_user_in_no_conversation_searches_without_reading_any_message(client, alice, bob, carol):
    group_id = make_group(alice, "Team", [bob]).id
    send_message(alice, group_id, "find me")
    with statements() as seen:
        answer = client.get("/api/search/messages?q=find me", headers=bearer(carol))
    assert answer.status_code == 200 and answer.get_json()["messages"] == []
    assert not any("messages" in statement.split(" FROM ", 1)[-1] for statement in seen), seen
