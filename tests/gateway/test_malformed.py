"""What is not a packet (docs/gateway.md, Errors) is answered, logged and closed, on a real
server, while another gateway connection and a Socket.IO client go on as if nothing happened."""
from __future__ import annotations

import json

import pytest
import requests
import websocket

from tests.gateway.client import (
    JOIN,
    JOIN_RESPONSE,
    LOGIN,
    LOGIN_RESPONSE,
    MESSAGE,
    PING,
    PONG,
    PUSH,
    SEND,
    GatewayClient,
    packet,
)
from tests.servers import ChatUser, RecordingSocket

pytestmark = pytest.mark.integration

MAX_BODY = 65536  # GATEWAY_MAX_PACKET_BYTES's default

CASES = {
    # name: (bytes sent, the command of the answer, its errorCode, the close code)
    "header cut short": (packet(LOGIN, {})[:7], PUSH, "truncated_header", 1002),
    "wrong magic": (packet(LOGIN, {}, magic=0x12345679), PUSH, "bad_magic", 1002),
    "wrong version": (packet(LOGIN, {}, version=2), PUSH, "bad_version", 1002),
    "wrong serializer": (packet(LOGIN, {}, serializer=2), PUSH, "bad_serializer", 1002),
    "unknown command": (packet(5, {}), PUSH, "unknown_command", 1002),
    "a response sent as a request": (packet(MESSAGE, {}), PUSH, "unknown_command", 1002),
    "a push sent as a request": (packet(PUSH, {}), PUSH, "unknown_command", 1002),
    "body cut short": (packet(LOGIN, {"token": "sbt_abc"})[:-3], LOGIN_RESPONSE, "bad_length", 1002),
    "bytes after the body": (packet(SEND, {}) + b"{}", MESSAGE, "bad_length", 1002),
    "length past the maximum": (packet(LOGIN, {}, length=MAX_BODY + 1), LOGIN_RESPONSE, "packet_too_large", 1009),
    "negative length": (packet(JOIN, {}, length=-2), JOIN_RESPONSE, "bad_length", 1002),
    "invalid JSON": (packet(JOIN, raw_body=b'{"chatId": "1",'), JOIN_RESPONSE, "invalid_json", 1002),
    "not UTF-8": (packet(SEND, raw_body=b'{"content": "\xff"}'), MESSAGE, "invalid_json", 1002),
    "UTF-16": (packet(SEND, raw_body='{"content": "utf16", "contentType": 0}'.encode("utf-16-le")), MESSAGE,
               "invalid_json", 1002),
    "a byte order mark": (packet(PING, raw_body=b'\xef\xbb\xbf{}'), PONG, "invalid_json", 1002),
    "JSON that is not an object": (packet(PING, raw_body=b'["ping"]'), PONG, "invalid_json", 1002),
    "NaN": (packet(SEND, raw_body=b'{"contentType": NaN}'), MESSAGE, "invalid_json", 1002),
}


@pytest.fixture(scope="module")
def bystanders(server):
    """A logged-in gateway connection and a Socket.IO client in one group, open through every case."""
    alice, bob = ChatUser.register(server.url), ChatUser.register(server.url)
    group_id = bob.api("POST", "/groups", json={"name": "Bystanders", "member_ids": [alice.id]}).json()[
        "conversation"]["id"]
    client = GatewayClient(server.url)
    assert client.login(alice.token, alice.id)["success"]
    socket = RecordingSocket.connect(server.url, bob.token, ("message:new",))
    yield client, socket, group_id
    client.close()
    socket.disconnect()


def still_served(bystanders, mark: str) -> None:
    client, socket, group_id = bystanders
    ack = socket.call("message:send", {"conversation_id": group_id, "body": mark})
    assert ack["ok"], ack
    assert client.response(MESSAGE, content=mark)["id"] == str(ack["message"]["id"])
    client.send(PING, {})
    assert client.closed is None


@pytest.mark.parametrize("name", list(CASES))
def test_each_malformed_packet_is_answered_then_closed(server, gateway, bystanders, name):
    data, command, code, close_code = CASES[name]
    client = gateway(server.url)
    client.send_raw(data)
    answer = client.response(command, errorCode=code)
    assert answer["success"] is False if command != PUSH else answer["type"] == "error"
    assert answer["errorMsg"]
    assert client.wait_closed().code == close_code
    assert f": {code}, closed" in server.log_text()
    still_served(bystanders, f"after {name}")


def test_a_text_message_is_refused(server, gateway, bystanders):
    client = gateway(server.url)
    client.ws.send(json.dumps({"command": LOGIN}))
    assert client.response(PUSH, errorCode="binary_required")["type"] == "error"
    assert client.wait_closed().code == 1003
    still_served(bystanders, "after a text message")


def test_a_message_past_the_maximum_is_refused_by_the_websocket_layer(server, gateway, bystanders):
    client = gateway(server.url)
    client.send(SEND, {"content": "x" * (MAX_BODY + 100)})
    assert client.wait_closed().code == 1009
    assert client.received == []
    assert "packet_too_large (the WebSocket message), closed" in server.log_text()
    still_served(bystanders, "after an oversized message")


def test_a_flood_of_packets_is_cut_with_busy(server, gateway, bystanders):
    """GATEWAY_RECEIVE_QUEUE (32) packets read and not yet answered: one TCP write of 300 pings."""
    client = gateway(server.url)
    frames = b"".join(websocket.ABNF.create_frame(packet(PING, {}), websocket.ABNF.OPCODE_BINARY).format()
                      for _ in range(300))
    client.ws.sock.sendall(frames)
    assert client.response(PUSH, errorCode="busy")["type"] == "error"
    assert client.wait_closed().code == 1008
    still_served(bystanders, "after a flood")


def test_a_request_that_is_no_websocket_handshake_is_refused(server):
    assert requests.get(server.url + "/ws/im", timeout=10).status_code == 400


def test_a_broken_websocket_handshake_is_refused(server):
    """Upgrade: websocket without Sec-WebSocket-Key and -Version: refused as a client's error, not a fault."""
    answer = requests.get(server.url + "/ws/im", headers={"Upgrade": "websocket", "Connection": "Upgrade"},
                          timeout=10)
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "websocket_required")


def test_a_handshake_of_another_websocket_version_is_told_the_one_spoken(server):
    """RFC 6455 4.4: a version the server does not speak is refused with Sec-WebSocket-Version naming
    the one it does, so that a client that can fall back knows which to use."""
    answer = requests.get(server.url + "/ws/im", timeout=10, headers={
        "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "8"})
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "websocket_required")
    assert answer.headers["Sec-WebSocket-Version"] == "13"
