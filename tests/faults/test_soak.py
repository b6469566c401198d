"""A bounded soak: 200 clients on one gunicorn (SQLite) for FAULTS_SOAK_SECONDS, sending at
random, joining public groups, losing their connections (TCP resets) and coming back with a
resync by watermark (tests/delivery/syncing_client.py). Afterwards: no fault in the server's log,
every acknowledged message stored once and held by every member (live, or recovered by its
resync), and the worker's memory flat after warm-up.

The memory check is a leak check with a generous bound, never a speed check: the worker's RSS
(from /proc) at the end may exceed its level at the end of warm-up by at most
RSS_GROWTH_ALLOWED (fraction) plus RSS_SLACK_BYTES."""
from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest

from tests.delivery.syncing_client import RevisionWatermark, SyncingClient, Tally
from tests.faults.conftest import assert_clients_hold_the_stored_messages, calm_until, server_faults
from tests.integration.chat import create_group
from tests.servers import ChatUser, LiveServer, own_server
from tests.wire_client import WireHub

pytestmark = [pytest.mark.integration, pytest.mark.faults]

CLIENTS = int(os.environ.get("FAULTS_SOAK_CLIENTS", "200"))
SECONDS = float(os.environ.get("FAULTS_SOAK_SECONDS", "60"))
SEND_EVERY_SECONDS = 12.0  # each client's mean time between writes: ~17 writes/s for 200 clients
PUBLIC_GROUPS = 8
JOINS_PER_SECOND = 1.0
CONNECTION_KILLS_PER_SECOND = 2.0
WARM_UP = 0.4  # of the run
RSS_SAMPLE_SECONDS = 3.0
RSS_GROWTH_ALLOWED = 0.25
RSS_SLACK_BYTES = 24 * 1024 * 1024


def worker_rss(server: LiveServer) -> int:
    """Resident memory of the gunicorn worker, in bytes."""
    (worker,) = server.worker_pids()
    for line in Path(f"/proc/{worker}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def join(client: SyncingClient, conversation_id: int) -> None:
    """The client joins a public group and catches up on it from revision 0."""
    joined = client.user.api("POST", f"/groups/{conversation_id}/join")
    assert joined.status_code == 200, joined.text
    client.conversation_ids.append(conversation_id)
    client.messages[conversation_id] = {}
    client.watermarks[conversation_id] = RevisionWatermark()
    client.sync([conversation_id])


@pytest.fixture(scope="module")
def soak_server(tmp_path_factory):
    yield from own_server(tmp_path_factory, "soak", jobs=False)


def test_soak(soak_server):
    rng = random.Random(13)
    servers = [soak_server]
    owner = ChatUser.register(soak_server.url)
    users = [ChatUser.register(soak_server.url) for _ in range(CLIENTS)]
    first_group = {user.id: rng.randrange(PUBLIC_GROUPS) for user in users}
    groups = [create_group(owner, tuple(user for user in users if first_group[user.id] == index), "public")
              for index in range(PUBLIC_GROUPS)]
    hub, tally = WireHub(), Tally()
    clients = [SyncingClient(hub, user, [groups[first_group[user.id]]], rng, tally) for user in users]
    next_write = {id(client): time.monotonic() + rng.expovariate(1 / SEND_EVERY_SECONDS) for client in clients}
    joins = kills = 0
    rss: list[tuple[float, int]] = []

    def step(writing: bool) -> None:
        now = time.monotonic()
        for client in clients:
            client.step(servers, writing=False)
            if writing and client.connected and now >= next_write[id(client)] and not client.pending \
                    and not client.edits_in_flight:
                client.write()
                next_write[id(client)] = now + rng.expovariate(1 / SEND_EVERY_SECONDS)
        hub.pump_once(0.005)

    try:
        started = time.monotonic()
        next_join = next_kill = next_sample = started
        while (now := time.monotonic()) < started + SECONDS:
            if now >= next_sample:
                rss.append((now - started, worker_rss(soak_server)))
                next_sample = now + RSS_SAMPLE_SECONDS
            if now >= next_join:
                client = rng.choice(clients)
                others = [group_id for group_id in groups if group_id not in client.conversation_ids]
                if client.connected and others:
                    join(client, rng.choice(others))
                    joins += 1
                next_join = now + rng.expovariate(JOINS_PER_SECOND)
            if now >= next_kill:
                victim = rng.choice(clients)
                if victim.connected:
                    victim.kill()
                    kills += 1
                next_kill = now + rng.expovariate(CONNECTION_KILLS_PER_SECOND)
            step(writing=True)
        rss.append((time.monotonic() - started, worker_rss(soak_server)))

        calm_until(step, lambda: all(client.settled_writes() for client in clients), 60, "every write answered")
        for group_id in groups:  # a last message shows every member a change it missed, if any
            next(client for client in clients if group_id in client.conversation_ids).send(group_id, "the end")
        calm_until(step, lambda: all(client.settled_writes() for client in clients), 30, "the last messages")
        final = {group_id: owner.api("GET", f"/conversations/{group_id}").json()["conversation"]["last_revision"]
                 for group_id in groups}
        calm_until(step, lambda: all(client.settled(final) for client in clients), 60, "every client caught up")

        warm = [size for at, size in rss if at <= WARM_UP * SECONDS]
        print(f"\nsoak: {CLIENTS} clients, {SECONDS:.0f} s: {tally.sends} sends ({tally.retries} retries, "
              f"{tally.duplicates} answered duplicate), {tally.edits} edits, {tally.deletes} deletes, {joins} joins, "
              f"{kills} connections killed, {tally.connects} connects, {tally.syncs} syncs ({tally.gap_syncs} for a "
              f"gap); worker RSS {warm[-1] / 2**20:.1f} MiB after warm-up, {rss[-1][1] / 2**20:.1f} MiB at the end, "
              f"samples (MiB) {[round(size / 2**20, 1) for _, size in rss]}")
        assert server_faults(soak_server) == []
        assert tally.out_of_order == []
        assert_clients_hold_the_stored_messages(clients, {group_id: owner for group_id in groups})
        assert rss[-1][1] <= warm[-1] * (1 + RSS_GROWTH_ALLOWED) + RSS_SLACK_BYTES
    finally:
        hub.close()
