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

from tests.faults.conftest import SmallChat, server_faults
from tests.servers import own_server, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.faults]

USERS = 6
SECONDS = 10.0
KILLS_AT = (0.3, 0.7)  # of the writing period
IN_FLIGHT = 3


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory):
    yield from own_server(tmp_path_factory, "worker-killed", jobs=False)


def test_acknowledged_messages_survive_a_killed_worker_once_each(sqlite_server):
    chat = SmallChat.start(sqlite_server.url, USERS, random.Random(17))
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
        for client in chat.clients:
            client.step(list(up), writing=writing, in_flight=IN_FLIGHT)
        chat.hub.pump_once(0.005)

    try:
        started = time.monotonic()
        kills = [started + at * SECONDS for at in KILLS_AT]
        while time.monotonic() < started + SECONDS:
            if kills and time.monotonic() >= kills[0] and up:
                kills.pop(0)
                kill_worker()
            step(writing=True)
        chat.finish(step, ready=lambda: bool(up))

        tally = chat.tally
        print(f"\nSQLite, worker killed {len(killed)} times: {tally.sends} sends ({tally.retries} retries, "
              f"{tally.duplicates} answered duplicate, {tally.retries_after_commit} retried after being stored), "
              f"{tally.edits} edits, {tally.deletes} deletes, {tally.connects} connects, {tally.syncs} syncs")
        assert len(killed) == len(KILLS_AT)
        assert server_faults(sqlite_server) == []
        assert tally.retries_after_commit_not_duplicate == []
        chat.check()
    finally:
        chat.hub.close()
