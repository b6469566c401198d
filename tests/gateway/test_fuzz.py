"""Hostile values (tests/fuzz/hostile.py) in every field of every gateway request, on a real
server: each is refused with its own answer, never internal_error, nothing is stored, and the
connection goes on (a refused login closes its own)."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.hostile import HOSTILE_VALUE
from tests.gateway.client import (
    JOIN,
    JOIN_RESPONSE,
    LOGIN,
    LOGIN_RESPONSE,
    MESSAGE,
    PING,
    PONG,
    QUIT,
    QUIT_RESPONSE,
    SEND,
    GatewayClient,
)
from tests.servers import ChatUser

pytestmark = pytest.mark.integration

FIELDS = {
    SEND: ("contentType", "content", "chatId", "toUserId", "fromUserId", "hasBeenSentId"),
    JOIN: ("chatId", "userId"),
    QUIT: ("chatId", "userId"),
    LOGIN: ("token", "userId"),
}
RESPONSES = {SEND: MESSAGE, JOIN: JOIN_RESPONSE, QUIT: QUIT_RESPONSE, LOGIN: LOGIN_RESPONSE}


@pytest.fixture(scope="module")
def target(server):
    alice = ChatUser.register(server.url)
    group_id = alice.api("POST", "/groups", json={"name": "Fuzzed"}).json()["conversation"]["id"]
    client = GatewayClient(server.url)
    assert client.login(alice.token, alice.id)["success"]
    yield server, alice, group_id, client
    client.close()


def plausible_body(command: int, field: str, alice: ChatUser, group_id: int) -> dict:
    """Fields that would be accepted, so that the hostile one is what is refused."""
    if command == SEND:
        target = {"toUserId": str(alice.id)} if field == "toUserId" else {"chatId": str(group_id)}
        return {"contentType": 0, "content": "hello", "fromUserId": str(alice.id), **target}
    if command == LOGIN:
        return {"token": alice.token, "userId": str(alice.id)}
    return {"chatId": str(group_id), "userId": str(alice.id)}


def answer_to(client: GatewayClient, command: int, body: dict) -> dict:
    """Send one request, then a ping: the pong comes after the answer, so both are in when it is."""
    client.received.clear()
    client.send(command, body)
    if command == LOGIN:
        return client.response(LOGIN_RESPONSE)
    client.send(PING, {})
    client.response(PONG)
    [answer] = [b for c, b in client.received if c == RESPONSES[command]]
    return answer


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_fields_are_refused_and_change_nothing(target, data):
    server, alice, group_id, logged_in = target
    command = data.draw(st.sampled_from(sorted(FIELDS)))
    field = data.draw(st.sampled_from(FIELDS[command]))
    body = {**plausible_body(command, field, alice, group_id), field: data.draw(HOSTILE_VALUE)}
    client = GatewayClient(server.url) if command == LOGIN else logged_in  # a refused login closes
    try:
        answer = answer_to(client, command, body)
    finally:
        if client is not logged_in:
            client.close()
    assert answer["success"] is False and answer["errorCode"] != "internal_error", (body, answer)
    assert logged_in.closed is None
    assert alice.api("GET", f"/conversations/{group_id}/messages").json()["messages"] == []
