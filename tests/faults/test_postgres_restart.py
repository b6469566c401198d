"""PostgreSQL restarted while clients send, on one gunicorn: sends in flight fail with an
`unavailable` ack (every event gets its ack), nothing is stored half; the client sends again
with the same client_id until one is acknowledged, and the pool's dead connections are replaced
(models.database.ping_when_idle) without restarting the worker. Every message is stored exactly once.

The pool exhausted (every connection taken past its timeout) answers `unavailable` too, never
silence: a socket event's ack, a socket's connect (refused with the code) and a REST request (503).

With one pooled connection, what arrives while it is taken waits in line at the gate in front of the
units of work (events.admission) and is served in the order it came instead of being refused; a wait
past DATABASE_POOL_TIMEOUT is answered `unavailable` by every transport (never silence, never a 500);
and a unit never waits for the place its own greenlet holds (every send opens the action's unit
inside the socket event's)."""
from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from tests.engines import PostgresServer, lock_waits
from tests.gateway.client import MESSAGE, SEND, GatewayClient
from tests.integration.chat import create_group, history
from tests.ops.live import METRICS_TOKEN, scrape, value
from tests.servers import ChatUser, LiveServer, wait_for
from tests.wire_client import Request, WireHub, WireSocket

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
        restart = None
        with ThreadPoolExecutor(1) as background:
            while time.monotonic() < started + SECONDS:
                if restart is None and time.monotonic() >= started + RESTART_AT * SECONDS:
                    # the clients go on sending while the server stops, stays down and starts again
                    restart = background.submit(postgres.restart, DOWN_SECONDS)
                step(writing=True)
            restart.result()
        deadline = time.monotonic() + 30
        while any(unsent) or any(in_flight):
            assert time.monotonic() < deadline, "sends still unacknowledged"
            step(writing=False)

        print(f"\nPostgreSQL restarted: {len(acknowledged)} messages acknowledged, {len(refused)} attempts refused "
              f"({Counter(refused)})")
        assert all(wire.connected for wire in sockets)
        assert set(refused) <= {"unavailable"} and refused  # the restart did hit sends in flight
        stored = history(users[0], group_id)
        assert Counter(message["client_id"] for message in stored) == Counter(set(bodies))  # each once
        assert {message["client_id"]: message["id"] for message in stored} == acknowledged
        assert server.worker_pids() == worker  # the same worker: its pool recovered
        log_lines = server.log_text().splitlines()
        assert [line for line in log_lines if " ERROR " in line or "CRITICAL" in line or "Traceback" in line] == []
        warnings = [line for line in log_lines if "database unavailable" in line]
        assert len(warnings) == len(refused), warnings  # one line per refused attempt, no traceback
        assert all("socket event message:send: database unavailable" in line for line in warnings), warnings
    finally:
        hub.close()


SMALL_POOL_SERVER = "small-pool"  # its connections' application_name: the module's other servers share the database


@pytest.fixture(scope="module")
def small_pool_server(postgres_server, tmp_path_factory):
    """A second gunicorn on the same database, with one pooled connection that it waits 0.5 s for."""
    _server, postgres = postgres_server
    server = LiveServer(tmp_path_factory.mktemp("small-pool"), jobs=False, env={
        "DATABASE_URL": f"{postgres.url}?application_name={SMALL_POOL_SERVER}", "DATABASE_POOL_SIZE": "1",
        "DATABASE_MAX_OVERFLOW": "0",
        "DATABASE_POOL_TIMEOUT": "0.5"})
    yield server.start(), postgres
    server.stop()


def two_in_a_group(server: LiveServer) -> tuple[ChatUser, ChatUser, int, WireHub, WireSocket]:
    """alice and bob in a group of their own, alice connected."""
    alice, bob = ChatUser.register(server.url), ChatUser.register(server.url)
    group_id = create_group(alice, (bob,))
    hub = WireHub()
    return alice, bob, group_id, hub, hub.connect(server.url, alice.token, alice.username)


def test_an_exhausted_pool_answers_unavailable_never_silence(small_pool_server):
    server, postgres = small_pool_server
    alice, bob, group_id, hub, wire = two_in_a_group(server)
    leaving = hub.connect(server.url, alice.token, f"{alice.username}-2")
    blocker = psycopg.connect(postgres.url, autocommit=True)
    # alice's coming online is written (her last-seen time) before the lock, or its batch could take the pool first
    wait_for(lambda: blocker.execute("SELECT last_seen_at FROM users WHERE id = %s", (alice.id,)).fetchone()[0],
             what="alice's presence batch")
    blocker.autocommit = False
    try:
        # The pool's one connection waits on a lock the test holds: every other request finds the pool empty.
        blocker.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        stuck = ThreadPoolExecutor(1).submit(bob.api, "GET", "/me")
        # Only this server's waits count: another server's write may wait on the lock too (the module's first
        # server announces its users offline 5 s after they leave).
        wait_for(lambda: lock_waits(postgres.url, SMALL_POOL_SERVER) == 1, what="a request stuck")

        send = wire.emit("message:send", {"conversation_id": group_id, "body": "while the pool is taken",
                                          "client_id": "pool-1"})
        hub.pump(lambda: send.answered, what="the send's ack")
        assert send.answer == {"ok": False, "error": {
            "code": "unavailable", "message": "The service is briefly unavailable; nothing was changed. Try again."}}
        with pytest.raises(ConnectionRefusedError, match='"code": ?"unavailable"'):
            hub.connect(server.url, bob.token, bob.username)
        refused = alice.api("GET", "/conversations")
        assert (refused.status_code, refused.json()["error"]["code"]) == (503, "unavailable")
        assert wire.connected
        leaving.close()  # the presence batch cannot record its last-seen time either: one warning, retried
        wait_for(lambda: "presence batch: database unavailable" in server.log_text(), what="the disconnect's batch")
    finally:
        blocker.rollback()  # the lock goes: the stuck request and the pool go on
        blocker.close()
    assert stuck.result(timeout=10).status_code == 200
    sent = wire.emit("message:send", {"conversation_id": group_id, "body": "once it is free", "client_id": "pool-1"})
    hub.pump(lambda: sent.answered, what="the retried send's ack")
    assert sent.answer["ok"] is True and sent.answer["duplicate"] is False  # the refused attempt stored nothing
    assert hub.connect(server.url, bob.token, bob.username).connected
    assert [message["body"] for message in history(alice, group_id)] == ["once it is free"]
    hub.close()
    log_lines = server.log_text().splitlines()
    assert [line for line in log_lines if " ERROR " in line or "Traceback" in line] == []
    refusals = {line.split(" database unavailable")[0].split(": ", 1)[-1] for line in log_lines
                if "database unavailable" in line}
    assert refusals == {"socket event message:send:", "socket connect:", "GET /api/conversations:",
                        "presence batch:"}


# -- the gate in front of the units of work (events.admission) ---------------------------------

BOUND_SECONDS = 4.0  # DATABASE_POOL_TIMEOUT: the longest wait in line
SENDERS = 8
GAP_SECONDS = 0.25  # between two sends: each is in line before the next is written
GATE_SERVER = "unit-gate"  # its connections' application_name: the other servers of the module share the database


@pytest.fixture(scope="module")
def gate_server(postgres_server, tmp_path_factory):
    """A third gunicorn on the same database: one pooled connection, so one unit of work at a time
    (events.admission), the others in line for at most BOUND_SECONDS."""
    _server, postgres = postgres_server
    server = LiveServer(tmp_path_factory.mktemp("unit-gate"), jobs=False, env={
        "DATABASE_URL": f"{postgres.url}?application_name={GATE_SERVER}", "DATABASE_POOL_SIZE": "1",
        "DATABASE_MAX_OVERFLOW": "0", "METRICS_TOKEN": METRICS_TOKEN,
        "DATABASE_POOL_TIMEOUT": str(BOUND_SECONDS)})
    yield server.start(), postgres
    server.stop()


class HeldPlace:
    """The gate's one place held by a request stuck on a table lock the test holds (with one
    connection, the place and the connection are the same one)."""

    def __init__(self, postgres: PostgresServer, user: ChatUser) -> None:
        self.database_url = postgres.url
        self.blocker = psycopg.connect(postgres.url, autocommit=False)
        self.blocker.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        self.stuck = ThreadPoolExecutor(1).submit(user.api, "GET", "/me")
        wait_for(lambda: self.waiting_on_the_lock() == 1, what="a request stuck on the lock")

    def waiting_on_the_lock(self) -> int:
        """The gate server's statements waiting on the lock (the module's other servers may retry
        their own writes meanwhile: a presence batch)."""
        return lock_waits(self.database_url, GATE_SERVER)

    def release(self) -> None:
        if not self.blocker.closed:
            self.blocker.rollback()
            self.blocker.close()


def test_what_arrives_while_the_place_is_taken_waits_and_is_served_in_order(gate_server):
    server, postgres = gate_server
    users = [ChatUser.register(server.url) for _ in range(SENDERS)]
    group_id = create_group(users[0], tuple(users[1:]))
    hub = WireHub()
    sockets = [hub.connect(server.url, user.token, user.username) for user in users]
    gateway = GatewayClient(server.url)
    assert gateway.login(users[0].token, users[0].id)["success"] is True
    held = HeldPlace(postgres, users[0])
    readers = ThreadPoolExecutor(SENDERS)
    try:
        gateway.send(SEND, {"contentType": 0, "content": "in line, over the gateway", "chatId": str(group_id),
                            "hasBeenSentId": f"gate-{uuid.uuid4().hex}"})
        sends, reads = [], []
        for number, wire in enumerate(sockets):
            sends.append(wire.emit("message:send", {"conversation_id": group_id, "body": f"in line {number}",
                                                    "client_id": f"gate-{uuid.uuid4().hex}"}))
            reads.append(readers.submit(users[number].api, "GET", "/conversations"))  # REST waits in the same line
            until = time.monotonic() + GAP_SECONDS
            while time.monotonic() < until:
                hub.pump_once(0.02)
        assert held.waiting_on_the_lock() == 1  # the place still taken: everything above is in line
        # ... in the gate's line, not the pool's (whose waiters would be served in order too): the sends
        # in the senders' line, the reads (and perhaps the presence batch of the sockets that came
        # online) in the other. The scrape itself does not wait for the pool (its jobs' figures are left
        # out while the pool is full).
        samples = scrape(server.url)
        units = {name: figure for (name, _labels), figure in samples.items() if name.startswith("switchboard_db_")}
        assert value(samples, "switchboard_db_units_in_use") == 1, units
        assert value(samples, "switchboard_db_sends_waiting") == SENDERS + 1, units  # the gateway's send too
        assert value(samples, "switchboard_db_units_waiting") >= 2 * SENDERS + 1, units
        assert ("switchboard_jobs_waiting", frozenset({("state", "queued")})) not in samples  # left out: no wait
        held.release()
        hub.pump(lambda: all(send.answered for send in sends), what="every send's ack")
        assert [send.answer["ok"] for send in sends] == [True] * SENDERS, [send.answer for send in sends]
        seqs = [send.answer["message"]["seq"] for send in sends]
        assert seqs == sorted(seqs), seqs  # stored in the order they came: first come, first served
        assert [read.result(timeout=30).status_code for read in reads] == [200] * SENDERS
        assert held.stuck.result(timeout=30).status_code == 200
        assert gateway.response(MESSAGE)["success"] is True
        assert "database unavailable" not in server.log_text()
    finally:
        held.release()
        hub.close()
        gateway.close()


def test_a_wait_past_the_bound_is_answered_unavailable_by_every_transport(gate_server):
    server, postgres = gate_server
    alice, bob, group_id, hub, wire = two_in_a_group(server)
    held, client_id = HeldPlace(postgres, bob), f"gate-{uuid.uuid4().hex}"
    try:
        started = time.monotonic()
        read = ThreadPoolExecutor(1).submit(alice.api, "GET", "/conversations")
        send = wire.emit("message:send", {"conversation_id": group_id, "body": "past the bound",
                                          "client_id": client_id})
        hub.pump(lambda: send.answered, what="the send's ack")
        assert send.answer == {"ok": False, "error": {
            "code": "unavailable", "message": "The service is briefly unavailable; nothing was changed. Try again."}}
        assert time.monotonic() - started >= BOUND_SECONDS - 0.5  # it waited in line before it was refused
        refused = read.result(timeout=30)
        assert (refused.status_code, refused.json()["error"]["code"]) == (503, "unavailable")
        with pytest.raises(ConnectionRefusedError, match='"code": ?"unavailable"'):
            hub.connect(server.url, bob.token, bob.username)
        assert wire.connected
    finally:
        held.release()
        hub.close()
    assert held.stuck.result(timeout=30).status_code == 200
    assert [message for message in history(alice, group_id) if message["client_id"] == client_id] == []
    log_lines = server.log_text().splitlines()
    refusals = [line for line in log_lines if "database unavailable (UnitsBusy" in line]
    assert len(refusals) >= 3, refusals  # the send, the read and the connect: refused by the gate, in line
    assert [line for line in log_lines if " ERROR " in line or "Traceback" in line] == []
