"""What one instance decides holds on the other (PostgreSQL + Redis): the send rate is one allowance per
user whichever instance each send reaches, and a token revoked, an account deactivated or suspended
on one instance closes that user's gateway connections on the other at once, in normal running (the
same after a Redis outage: tests/faults/test_redis_outage_rooms.py)."""
import time
import uuid

import pytest
import requests

from tests.gateway.client import PUSH, GatewayClient
from tests.integration.chat import create_group
from tests.servers import PASSWORD, ChatUser, start_instances

pytestmark = pytest.mark.integration

BURST, PER_MINUTE = 10, 60  # the defaults: ten at once, then one a second


@pytest.fixture(scope="module")
def rate_limited_pair(tmp_path_factory, redis_server, postgres_server):
    """Two instances with the send rate on (the package's pair runs without it: its tests send by the hundred)."""
    env = {"DATABASE_URL": postgres_server.create_database("rate_limited"), "SOCKETIO_MESSAGE_QUEUE": redis_server.url,
           "SEND_BURST": str(BURST), "SEND_PER_MINUTE": str(PER_MINUTE)}
    instances = start_instances([tmp_path_factory.mktemp("limited1"), tmp_path_factory.mktemp("limited2")], env,
                                jobs=False)
    yield instances
    for instance in instances:
        instance.stop()


def test_the_send_rate_is_one_allowance_across_instances(rate_limited_pair):
    first, second = rate_limited_pair
    alice = ChatUser.register(first.url)
    group_id = create_group(alice)
    sockets = [alice.on(first.url).socket(), alice.on(second.url).socket()]
    try:
        started = time.monotonic()
        answers = [(f"m{index}", sockets[index % 2].call("message:send", {
            "conversation_id": group_id, "body": f"m{index}", "client_id": f"c{index}"})) for index in range(24)]
        elapsed = time.monotonic() - started
    finally:
        for socket in sockets:
            socket.disconnect()
    accepted = [body for body, answer in answers if answer["ok"]]
    assert {answer["error"]["code"] for _, answer in answers if not answer["ok"]} == {"rate_limited"}
    # The burst and what refilled meanwhile; an allowance per instance would have taken twenty at once.
    assert BURST <= len(accepted) <= BURST + int(elapsed * PER_MINUTE / 60) + 1, (len(accepted), elapsed)
    stored = alice.api("GET", f"/conversations/{group_id}/messages?limit=100").json()["messages"]
    assert sorted(message["body"] for message in stored if message["client_id"]) == sorted(accepted)


def test_a_credential_ended_on_one_instance_closes_gateway_connections_on_the_other(two_instances):
    first, second = two_instances
    operator = f"op{uuid.uuid4().hex[:8]}"
    token = first.operator_token(operator, PASSWORD)
    as_operator = {"Authorization": f"Bearer {token}"}
    users = [ChatUser.register(first.url) for _ in range(3)]
    gateways = []
    try:
        for user in users:
            gateways.append(GatewayClient(second.url))
            assert gateways[-1].login(user.token, user.id)["success"]

        assert users[0].api("DELETE", "/tokens/current").status_code == 200
        assert requests.post(f"{first.url}/api/admin/users/{users[1].id}/deactivate", headers=as_operator,
                             timeout=10).ok
        assert requests.post(f"{first.url}/api/admin/users/{users[2].id}/suspend", headers=as_operator, timeout=10,
                             json={"until": "2099-01-01T00:00:00Z", "reason": "spam"}).ok

        told = [gateway.wait(lambda command, body: command == PUSH and body.get("type") == "closed",
                             what="the closed push")[1]["errorCode"] for gateway in gateways]
        assert told == ["token_revoked", "deactivated", "suspended"]
        assert [gateway.wait_closed().code for gateway in gateways] == [1008, 1008, 1008]
    finally:
        for gateway in gateways:
            gateway.close()
