"""The gunicorn worker SIGKILLed while clients write, on SQLite (the README's single machine;
tests/delivery/test_chaos.py does the same to two instances over PostgreSQL + Redis): SQLite
rolls back what the dead worker had not committed, the master starts another worker, clients
reconnect, resync and send again what was not acknowledged, with the same client_id. Every
acknowledged message is stored, none twice, and every client ends with exactly the stored ones."""
from __future__ import annotations

import random
import threading
import time

import pytest

from tests.delivery.syncing_client import SyncingClient, Tally
from tests.faults.conftest import assert_clients_hold_the_stored_messages, calm_until, own_server, server_faults
from tests.integration.chat import create_group, open_direct
from tests.servers import ChatUser, wait_for
from tests.wire_client import WireHub

pytestmark = [pytest.mark.integration, pytest.mark.faults]

USERS = 6
SECONDS = 10.0
KILLS_AT = (0.3, 0.7)  # of the writing period
IN_FLIGHT = 3


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory):
    yield from own_server(tmp_path_factory, "worker-killed")


def test_acknowledged_messages_survive_a_killed_worker_once_each(sqlite_server):
    rng = random.Random(17)
    users = [ChatUser.register(sqlite_server.url) for _ in range(USERS)]
    members_of = {create_group(users[0], tuple(users[1:])): users}
    for left, right in zip(users[::2], users[1::2], strict=True):
        members_of[open_direct(left, right)] = [left, right]
    hub, tally = WireHub(), Tally()
    clients = [SyncingClient(hub, user, [cid for cid, members in members_of.items() if user in members], rng, tally)
               for user in users]
    up = [sqlite_server]
    killed: list[int] = []

    def kill_worker() -> None:
        up.clear()
        killed.append(sqlite_server.kill_worker())

        def back() -> None:
            wait_for(lambda: sqlite_server.worker_pids() not in ([], killed[-1:]) and sqlite_server.healthy(),
                     timeout=60, what="a new gunicorn worker")
            up.append(sqlite_server)

        threading.Thread(target=back, daemon=True).start()

    def step(writing: bool) -> None:
        for client in clients:
            client.step(list(up), writing=writing, in_flight=IN_FLIGHT)
        hub.pump_once(0.005)

    try:
        started = time.monotonic()
        kills = [started + at * SECONDS for at in KILLS_AT]
        while time.monotonic() < started + SECONDS:
            if kills and time.monotonic() >= kills[0] and up:
                kills.pop(0)
                kill_worker()
            step(writing=True)
        calm_until(step, lambda: up and all(client.settled_writes() for client in clients), 60,
                   "every send acknowledged")
        for conversation_id, members in members_of.items():  # shows every member a change it missed, if any
            next(client for client in clients if client.user is members[0]).send(conversation_id, "the end")
        calm_until(step, lambda: all(client.settled_writes() for client in clients), 30, "the last messages")
        final = {cid: members[0].api("GET", f"/conversations/{cid}").json()["conversation"]["last_revision"]
                 for cid, members in members_of.items()}
        calm_until(step, lambda: all(client.settled(final) for client in clients), 30, "every client caught up")

        print(f"\nSQLite, worker killed {len(killed)} times: {tally.sends} sends ({tally.retries} retries, "
              f"{tally.duplicates} answered duplicate, {tally.retries_after_commit} retried after being stored), "
              f"{tally.edits} edits, {tally.deletes} deletes, {tally.connects} connects, {tally.syncs} syncs")
        assert len(killed) == len(KILLS_AT)
        assert server_faults(sqlite_server) == []
        assert tally.out_of_order == []
        assert tally.retries_after_commit_not_duplicate == []
        assert sum(len(client.acknowledged) for client in clients) == tally.sends
        assert_clients_hold_the_stored_messages(clients, {cid: members[0] for cid, members in members_of.items()})
    finally:
        hub.close()
