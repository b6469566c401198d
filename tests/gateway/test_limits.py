"""The gateway's limits on a server of their own (a two-second idle timeout, two sends at once):
heartbeat and idle close, and the chat's send rate, which the gateway shares."""
from __future__ import annotations

import time

import pytest

from tests.gateway.client import MESSAGE, PING, PONG, PUSH, SEND
from tests.servers import ChatUser, own_server, wait_for

pytestmark = pytest.mark.integration

IDLE_SECONDS = 2
RATE_LIMITED_CUT = 4  # SOCKET_BUSY_DISCONNECT: the rate_limited refusals within a minute that close a connection


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory):
    yield from own_server(tmp_path_factory, "gateway-limits", jobs=False, env={
        "GATEWAY_IDLE_SECONDS": str(IDLE_SECONDS), "SEND_BURST": "2", "SEND_PER_MINUTE": "1",
        "SOCKET_BUSY_DISCONNECT": str(RATE_LIMITED_CUT)})


def test_pings_keep_a_connection_open_and_silence_closes_it(strict_server, gateway):
    client = gateway(strict_server.url)
    for _ in range(10):  # 3 s: past the idle timeout, with a ping every 0.3 s
        client.send(PING, {})
        time.sleep(0.3)
    assert client.closed is None
    assert [command for command, _ in client.received].count(PONG) >= 9
    assert client.response(PUSH, errorCode="idle")["type"] == "error"
    assert client.wait_closed().code == 1000


def test_websocket_ping_frames_do_not_keep_a_connection_open(strict_server, gateway):
    """gateway.md, Heartbeat: only packets count; a client that sends WebSocket pings alone goes idle."""
    client = gateway(strict_server.url)
    client.send(PING, {})
    client.response(PONG)
    for _ in range(12):  # 3.6 s of WebSocket pings: past the idle timeout
        if client.closed is not None:
            break
        client.ws.ping(b"still here")
        time.sleep(0.3)
    assert client.response(PUSH, errorCode="idle")["type"] == "error"
    assert client.wait_closed().code == 1000


def test_the_send_rate_of_the_chat_holds_on_the_gateway(strict_server, gateway):
    alice = ChatUser.register(strict_server.url)
    group_id = alice.api("POST", "/groups", json={"name": "Rate"}).json()["conversation"]["id"]
    client = gateway(strict_server.url)
    assert client.login(alice.token, alice.id)["success"]
    def answers() -> list[dict]:
        return [body for command, body in client.received if command == MESSAGE]

    for count, sent_id in enumerate(("r1", "r2", "r3", "r1"), start=1):
        client.send(SEND, {"contentType": 0, "content": f"message {sent_id}", "chatId": str(group_id),
                           "hasBeenSentId": sent_id})
        wait_for(lambda count=count: len(answers()) == count, what="an answer")
    answers = answers()
    assert [(a["hasBeenSentId"], a["success"]) for a in answers] == [
        ("r1", True), ("r2", True), ("r3", False), ("r1", True)]
    assert answers[2]["errorCode"] == "rate_limited" and answers[2]["retryAfter"] >= 1
    assert answers[3]["duplicate"] is True and answers[3]["id"] == answers[0]["id"]


def test_past_the_send_rate_a_send_is_refused_before_its_fields_are_read(strict_server, gateway):
    """protocol.md, Send rate: the allowance is asked before anything else of a send, so a send past it
    is answered rate_limited whatever else is wrong with it, and changes nothing (no private chat opened)."""
    alice, bob = ChatUser.register(strict_server.url), ChatUser.register(strict_server.url)
    group_id = alice.api("POST", "/groups", json={"name": "Rate"}).json()["conversation"]["id"]
    client = gateway(strict_server.url)
    assert client.login(alice.token, alice.id)["success"]
    sends = [{"contentType": 0, "content": "one", "chatId": str(group_id)},
             {"contentType": 0, "content": "two", "chatId": str(group_id)},  # the burst of two is spent
             {"contentType": 9, "content": "three", "chatId": str(group_id), "hasBeenSentId": "s3"},
             {"contentType": 0, "content": "", "chatId": "x", "hasBeenSentId": 4},
             {"contentType": 0, "content": "hello", "toUserId": str(bob.id), "hasBeenSentId": "s5"}]
    for count, body in enumerate(sends, start=1):
        client.send(SEND, body)
        wait_for(lambda count=count: [c for c, _ in client.received].count(MESSAGE) == count, what="an answer")
    answers = [body for command, body in client.received if command == MESSAGE]
    assert [answer["success"] for answer in answers[:2]] == [True, True]
    assert [(answer.get("errorCode"), answer.get("hasBeenSentId")) for answer in answers[2:]] == [
        ("rate_limited", "s3"), ("rate_limited", "4"), ("rate_limited", "s5")]
    assert all(answer["retryAfter"] >= 1 for answer in answers[2:])
    assert [c["id"] for c in alice.api("GET", "/conversations").json()["conversations"]] == [group_id]
    assert client.closed is None


def test_a_send_refused_for_its_fields_has_taken_its_place_in_the_allowance(strict_server, gateway):
    """gateway.md: the rate is asked first, so a send refused for its fields (here contentType 9) counts
    as a send: after two of them the burst of two is spent and a good text is rate_limited."""
    alice = ChatUser.register(strict_server.url)
    group_id = alice.api("POST", "/groups", json={"name": "Spent"}).json()["conversation"]["id"]
    client = gateway(strict_server.url)
    assert client.login(alice.token, alice.id)["success"]
    sends = [{"contentType": 9, "content": "x", "chatId": str(group_id)}] * 2 + [
        {"contentType": 0, "content": "fine", "chatId": str(group_id)}]
    for count, body in enumerate(sends, start=1):
        client.send(SEND, body)
        wait_for(lambda count=count: [c for c, _ in client.received].count(MESSAGE) == count, what="an answer")
    assert [body.get("errorCode") for command, body in client.received if command == MESSAGE] == [
        "invalid_contentType", "invalid_contentType", "rate_limited"]


def test_a_connection_that_goes_on_sending_while_rate_limited_is_closed(strict_server, gateway):
    """protocol.md, Send rate: a Socket.IO socket is cut at its SOCKET_BUSY_DISCONNECT-th rate_limited refusal
    within a minute; a gateway connection never was, so a flooder kept its loop busy with refusals."""
    alice = ChatUser.register(strict_server.url)
    group_id = alice.api("POST", "/groups", json={"name": "Flood"}).json()["conversation"]["id"]
    client = gateway(strict_server.url)
    assert client.login(alice.token, alice.id)["success"]

    def answers() -> list[dict]:
        return [body for command, body in client.received if command == MESSAGE]

    for count in range(1, 2 + RATE_LIMITED_CUT):  # the burst of two, then one refusal short of the cut
        client.send(SEND, {"contentType": 0, "content": f"flood {count}", "chatId": str(group_id)})
        wait_for(lambda count=count: len(answers()) == count, what="an answer")
    assert [answer.get("errorCode") for answer in answers()] == [None, None] + ["rate_limited"] * 3
    client.send(PING, {})  # the marker: still open after three refusals
    client.response(PONG)
    assert client.closed is None
    client.send(SEND, {"contentType": 0, "content": "one too many", "chatId": str(group_id), "hasBeenSentId": "last"})
    last = client.response(MESSAGE, hasBeenSentId="last")
    assert last["errorCode"] == "rate_limited" and last["retryAfter"] >= 1  # answered, then closed
    assert client.wait_closed().code == 1008
    assert "kept sending while rate limited: closed" in strict_server.log_text()
    again = gateway(strict_server.url)  # it may connect again (and send once the allowance refills)
    assert again.login(alice.token, alice.id)["success"]


def test_a_shutdown_tells_gateway_clients_and_closes_their_connections(strict_server, gateway):
    """SIGTERM (gunicorn.conf.py): each gateway connection is told and closed with 1001, so that
    its client reconnects to another instance at once. It stops the module's server: keep it last."""
    alice = ChatUser.register(strict_server.url)
    logged = gateway(strict_server.url)
    assert logged.login(alice.token, alice.id)["success"]
    anonymous = gateway(strict_server.url)
    anonymous.send(PING, {})
    anonymous.response(PONG)  # served: the server holds it
    strict_server.process.terminate()
    for client in (logged, anonymous):
        assert client.response(PUSH, type="closed")["errorCode"] == "shutting_down"
        assert client.wait_closed().code == 1001
    assert "shutting down: closing 2 gateway connections" in strict_server.log_text()
