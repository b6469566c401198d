"""A gateway client on one instance and a Socket.IO client on another (PostgreSQL + Redis)
exchange messages: each sees every message once, in revision order."""
import pytest

from tests.gateway.client import JOIN, JOIN_RESPONSE, MESSAGE, SEND, GatewayClient
from tests.servers import ChatUser, wait_for

pytestmark = pytest.mark.integration


def test_gateway_on_one_instance_and_socketio_on_the_other(two_instances):
    first, second = two_instances
    alice = ChatUser.register(first.url)
    bob = ChatUser.register(second.url)
    group_id = bob.api("POST", "/groups", json={"name": "Across", "visibility": "public"}).json()["conversation"]["id"]
    gateway = GatewayClient(first.url)
    bob_socket = bob.socket()
    try:
        assert gateway.login(alice.token, alice.id)["success"]
        gateway.send(JOIN, {"chatId": str(group_id), "userId": str(alice.id), "chatType": 1})
        assert gateway.response(JOIN_RESPONSE)["success"]
        for index in range(8):
            gateway.send(SEND, {"contentType": 0, "content": f"from A {index}", "chatId": str(group_id),
                                "fromUserId": str(alice.id), "hasBeenSentId": f"a{index}"})
            assert bob_socket.call("message:send", {"conversation_id": group_id, "body": f"from B {index}"})["ok"]
        # Alice's join is the conversation's first message: a membership note (kind "system").
        wait_for(lambda: len(bob_socket.received["message:new"]) == 17, what="the note and 16 messages on instance B")
        wait_for(lambda: [c for c, _ in gateway.received].count(MESSAGE) == 16, what="16 messages on instance A")

        on_socket = [event["message"] for event in bob_socket.received["message:new"]]
        assert [m["revision"] for m in on_socket] == list(range(1, 18))
        assert on_socket[0]["kind"] == "system" and on_socket[0]["system"]["user_id"] == alice.id
        on_gateway = [body for command, body in gateway.received if command == MESSAGE]
        assert sorted(m["revision"] for m in on_gateway) == list(range(2, 18))
        from_b = [m for m in on_gateway if m["fromUserId"] == str(bob.id)]
        assert [m["content"] for m in from_b] == [f"from B {i}" for i in range(8)]
        assert [m["revision"] for m in from_b] == sorted(m["revision"] for m in from_b)
        from_a = [m["body"] for m in on_socket if m["sender"] and m["sender"]["id"] == alice.id]
        assert from_a == [f"from A {i}" for i in range(8)]
    finally:
        gateway.close()
        bob_socket.disconnect()
