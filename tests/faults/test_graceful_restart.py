"""Graceful shutdown and rolling restarts, on two instances over PostgreSQL + Redis started with
gunicorn.conf.py. SIGTERM: the instance stops accepting, finishes the HTTP request and the socket
event in flight (the event's ack is written, its changes fanned out), then closes its sockets, whose
clients reconnect to the other instance and resync; it exits well before graceful_timeout. A rolling
restart of both instances under load loses no acknowledged message."""
from __future__ import annotations

import json
import random
import socket
import time
from dataclasses import replace

import psycopg
import pytest

from tests.engines import PostgresServer, RedisServer
from tests.faults.conftest import SmallChat, server_faults
from tests.integration.chat import create_group, history
from tests.servers import ChatUser, LiveServer, wait_for
from tests.wire_client import WireHub

pytestmark = [pytest.mark.integration, pytest.mark.faults]

GRACEFUL_SECONDS = 8
USERS = 6
SECONDS = 10.0
RESTARTS = (0.25, 0.55)  # of the writing period: SIGTERM to the first instance, then to the second


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    postgres = PostgresServer().start()
    redis = RedisServer(tmp_path_factory.mktemp("graceful-redis")).start()
    env = {"DATABASE_URL": postgres.url, "SOCKETIO_MESSAGE_QUEUE": redis.url}
    instances = [LiveServer(tmp_path_factory.mktemp(f"graceful-{index}"), env=env, jobs=False,
                            graceful_timeout=GRACEFUL_SECONDS) for index in (1, 2)]
    instances[0].migrate()
    yield [instance.start() for instance in instances], postgres
    for instance in instances:
        if instance.process is not None:
            instance.stop()
    redis.stop()
    postgres.stop()


def sigterm(server: LiveServer) -> float:
    """SIGTERM to the instance's master, as systemd stops a service; returns when."""
    server.process.terminate()
    return time.monotonic()


def restart_when_exited(server: LiveServer) -> bool:
    """Once the SIGTERMed instance has exited, start it again on its port (its log goes on)."""
    if server.process.poll() is None:
        return False
    server.log.close()
    server.process = None
    server.start()
    return True


def shutdown_lines(server: LiveServer) -> list[str]:
    return [line for line in server.log_text().splitlines() if "shutting down: closed" in line]


def half_sent_post(server: LiveServer, user: ChatUser, conversation_id: int, body: str) -> tuple[socket.socket, bytes]:
    """A REST send whose body is half sent: the request is in flight until the rest comes."""
    payload = json.dumps({"body": body, "client_id": "across-the-sigterm"}).encode()
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    raw.sendall((f"POST /api/conversations/{conversation_id}/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 f"Authorization: Bearer {user.token}\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n").encode() + payload[:10])
    return raw, payload[10:]


def read_status(raw: socket.socket) -> int:
    answer = b""
    while b"\r\n" not in answer:
        chunk = raw.recv(4096)
        assert chunk, "the connection closed without an answer"
        answer += chunk
    return int(answer.split(b" ", 2)[1])


def test_sigterm_finishes_what_is_in_flight_then_sends_clients_elsewhere(deployment):
    (first, second), postgres = deployment
    alice, bob = ChatUser.register(first.url), ChatUser.register(first.url)
    group_id = create_group(alice, (bob,))
    hub = WireHub()
    leaving = hub.connect(first.url, alice.token, "alice@first")
    staying = hub.connect(second.url, bob.token, "bob@second")
    locker = psycopg.connect(postgres.url)
    try:
        # The send will wait for the conversation's row, which the test holds: it is in flight at the SIGTERM.
        locker.execute("SELECT id FROM conversations WHERE id = %s FOR UPDATE", (group_id,))
        send = leaving.emit("message:send", {"conversation_id": group_id, "body": "sent across the SIGTERM",
                                             "client_id": "socket-across"}, client_id="socket-across")
        wait_for(lambda: locker.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                        "AND pid <> pg_backend_pid()").fetchone()[0] == 1, what="the send waiting")
        raw, rest = half_sent_post(first, alice, group_id, "posted across the SIGTERM")
        stopped_at = sigterm(first)
        wait_for(lambda: not first.healthy(), what="the listener closed")  # no new connection is accepted
        assert leaving.connected and not send.answered  # the event in flight holds its connection open
    finally:
        locker.rollback()
        locker.close()
    raw.sendall(rest)
    assert read_status(raw) == 201  # the request in flight was finished
    raw.close()
    hub.pump(lambda: not leaving.connected, what="the leaving instance closing the socket")
    assert send.answer["ok"] is True  # answered before the close
    kinds = [frame.kind for frame in leaving.frames]
    assert kinds.index("ack") < kinds.index("disconnect")
    hub.pump(lambda: {frame.payload["message"]["body"] for frame in staying.events("message:new")}
             == {"sent across the SIGTERM", "posted across the SIGTERM"}, what="both fanned out to the other instance")
    first.process.wait(timeout=GRACEFUL_SECONDS)
    assert time.monotonic() - stopped_at < GRACEFUL_SECONDS  # it did not wait to be cut
    assert "Worker graceful timeout" not in first.log_text()
    assert shutdown_lines(first) and server_faults(first) == []

    again = hub.connect(second.url, alice.token, "alice@second")  # the client goes on at the other instance
    assert again.connected
    assert [message["body"] for message in history(replace(alice, server_url=second.url), group_id)] == [
        "sent across the SIGTERM", "posted across the SIGTERM"]
    hub.close()
    first.log.close()
    first.process = None
    first.start()


def test_a_rolling_restart_under_load_loses_no_acknowledged_message(deployment):
    servers, _postgres = deployment
    chat = SmallChat.start(servers[0].url, USERS, random.Random(29))
    stopping: list[LiveServer] = []

    def step(writing: bool) -> None:
        up = [server for server in servers if server not in stopping]
        for client in chat.clients:
            client.step(up, writing=writing)
        chat.hub.pump_once(0.005)

    try:
        started = time.monotonic()
        pending_restarts = [(started + at * SECONDS, server) for at, server in zip(RESTARTS, servers, strict=True)]
        while time.monotonic() < started + SECONDS or stopping:
            if pending_restarts and time.monotonic() >= pending_restarts[0][0]:
                _at, server = pending_restarts.pop(0)
                sigterm(server)
                stopping.append(server)
            for server in list(stopping):
                if restart_when_exited(server):
                    stopping.remove(server)
            step(writing=time.monotonic() < started + SECONDS)
        chat.finish(step)

        tally = chat.tally
        print(f"\nRolling restart: {tally.sends} sends ({tally.retries} retries, {tally.duplicates} duplicates), "
              f"{tally.edits} edits, {tally.deletes} deletes, {tally.connects} connects, {tally.syncs} syncs")
        assert tally.connects > USERS  # the clients of each stopped instance reconnected elsewhere
        # Every send an instance ran before closing had its ack delivered: a retry never finds one stored.
        assert tally.duplicates == 0
        for server in servers:
            assert len(shutdown_lines(server)) >= 1
            assert "Worker graceful timeout" not in server.log_text()  # closed its sockets, did not wait to be cut
            assert server_faults(server) == []
        chat.check()
    finally:
        chat.hub.close()
