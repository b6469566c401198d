"""The real server answers over HTTP and the websocket transport."""
import pytest

from tests.servers import ChatUser, wait_for

pytestmark = pytest.mark.integration


def test_group_message_reaches_the_other_member(live_server):
    alice, bob = ChatUser.register(live_server.url), ChatUser.register(live_server.url)
    group = alice.api("POST", "/groups", json={"name": "Smoke", "member_ids": [bob.id]}).json()["conversation"]
    bob_socket, alice_socket = bob.socket(), alice.socket()
    try:
        ack = alice_socket.call("message:send", {"conversation_id": group["id"], "body": "hi", "client_id": "s-1"})
        assert ack["ok"] and ack["message"]["seq"] == 1
        wait_for(lambda: bob_socket.received["message:new"], what="bob's message:new")
        assert bob_socket.received["message:new"][0]["message"]["id"] == ack["message"]["id"]
    finally:
        bob_socket.disconnect()
        alice_socket.disconnect()
