"""PostgreSQL restarted while clients send, on one gunicorn: sends in flight fail with an
`internal_error` ack (every event gets its ack), nothing is stored half; the client sends again
with the same client_id until one is acknowledged, and the pool's dead connections are replaced
(`pool_pre_ping`) without restarting the worker. Every message is stored exactly once."""
from __future__ import annotations

import random
import time
import uuid
from collections import Counter

import pytest

from tests.engines import PostgresServer
from tests.integration.chat import create_group, history
from tests.servers import ChatUser, LiveServer
from tests.wire_client import Request, WireHub

pytestmark = [pytest.mark.integration, pytest.mark.faults]

WRITERS = 10
SECONDS = 8.0
RESTART_AT = 0.3  # of the writing period
DOWN_SECONDS = 1.0
RETRY_SECONDS = 0.2


@pytest.fixture(scope="module")
def postgres_server(tmp_path_factory):
    postgres = PostgresServer().start()
    server = LiveServer(tmp_path_factory.mktemp("postgres-restart"), env={"DATABASE_URL": postgres.url}, jobs=False)
    server.migrate()
    yield server.start(), postgres
    server.stop()
    postgres.stop()


def test_sends_during_a_postgres_restart_fail_cleanly_and_are_stored_once_when_retried(postgres_server):
    server, postgres = postgres_server
    rng = random.Random(23)
    users = [ChatUser.register(server.url) for _ in range(WRITERS)]
    group_id = create_group(users[0], tuple(users[1:]))
    hub = WireHub()
    sockets = [hub.connect(server.url, user.token, user.username) for user in users]
    bodies: dict[str, str] = {}
    unsent: list[list[str]] = [[] for _ in users]  # per writer: client_ids not acknowledged yet
    in_flight: list[Request | None] = [None for _ in users]
    retry_at = [0.0 for _ in users]
    refused: list[str] = []
    acknowledged: dict[str, int] = {}
    worker = server.worker_pids()

    def step(writing: bool) -> None:
        now = time.monotonic()
        for index, wire in enumerate(sockets):
            request = in_flight[index]
            if request is not None and request.answered:
                in_flight[index] = None
                if request.answer["ok"]:
                    acknowledged[request.client_id] = request.answer["message"]["id"]
                    unsent[index].remove(request.client_id)
                else:
                    refused.append(request.answer["error"]["code"])
                    retry_at[index] = now + RETRY_SECONDS
            if in_flight[index] is None and now >= retry_at[index]:
                if not unsent[index] and writing:
                    client_id = f"pg-{uuid.uuid4().hex}"
                    bodies[client_id] = f"{users[index].username} {rng.random():.6f}"
                    unsent[index].append(client_id)
                if unsent[index]:
                    client_id = unsent[index][0]
                    in_flight[index] = wire.emit("message:send", {"conversation_id": group_id, "client_id": client_id,
                                                                  "body": bodies[client_id]}, client_id=client_id)
        hub.pump_once(0.005)

    try:
        started = time.monotonic()
        restarted = False
        while time.monotonic() < started + SECONDS:
            if not restarted and time.monotonic() >= started + RESTART_AT * SECONDS:
                postgres.restart(DOWN_SECONDS)  # the clients wait meanwhile: their sends are in flight
                restarted = True
            step(writing=True)
        deadline = time.monotonic() + 30
        while any(unsent) or any(in_flight):
            assert time.monotonic() < deadline, "sends still unacknowledged"
            step(writing=False)

        print(f"\nPostgreSQL restarted: {len(acknowledged)} messages acknowledged, {len(refused)} attempts refused "
              f"({Counter(refused)})")
        assert all(wire.connected for wire in sockets)
        assert set(refused) <= {"internal_error"} and refused  # the restart did hit sends in flight
        stored = history(users[0], group_id)
        assert Counter(message["client_id"] for message in stored) == Counter(set(bodies))  # each once
        assert {message["client_id"]: message["id"] for message in stored} == acknowledged
        assert server.worker_pids() == worker  # the same worker: its pool recovered
        errors = [line for line in server.log_text().splitlines() if " ERROR " in line or "CRITICAL" in line]
        assert len(errors) == len(refused), errors  # one logged fault per refused attempt, nothing else
        assert all(line.endswith("socket event message:send failed") for line in errors), errors
    finally:
        hub.close()
