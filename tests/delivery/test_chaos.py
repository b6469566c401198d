"""Chaos on two instances (PostgreSQL + Redis): clients whose connections die without a goodbye,
acks lost on the way, sends retried with the same client_id, edits and deletes, and the
gunicorn worker of each instance killed with SIGKILL while everyone writes. Afterwards every
client, catching up by the resync rule alone, holds exactly the database's messages."""
from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest

from tests.delivery.syncing_client import SyncingClient, Tally
from tests.delivery.workload import snapshot
from tests.integration.chat import create_group, history, open_direct
from tests.servers import ChatUser, LiveServer, wait_for
from tests.wire_client import WireHub

pytestmark = [pytest.mark.integration, pytest.mark.faults]

USERS = 8
CHAOS_SECONDS = 12.0
CLIENT_KILLS_PER_SECOND = 3.0
LOST_ACK_EVERY_SECONDS = 1.0
WORKER_KILLS_AT = (0.25, 0.6)  # in the chaos period: the first instance's worker, then the second's


class Instances:
    """Which servers are up: a killed worker's instance is down until gunicorn has started another."""

    def __init__(self, servers: tuple[LiveServer, ...]) -> None:
        self.servers = servers
        self.down: set[int] = set()
        self.killed: list[int] = []

    @property
    def up(self) -> list[LiveServer]:
        return [server for server in self.servers if server.port not in self.down]

    def kill_worker(self, server: LiveServer) -> None:
        self.down.add(server.port)
        killed = server.kill_worker()
        self.killed.append(killed)

        def wait_for_new_worker() -> None:
            wait_for(lambda: server.worker_pids() not in ([], [killed]) and server.healthy(), timeout=60,
                     what="a new gunicorn worker")
            self.down.discard(server.port)

        threading.Thread(target=wait_for_new_worker, daemon=True).start()


class LostAck:
    """A send whose ack never reaches its client: the connection stops being read, and dies once
    another member has the message (so it is surely stored)."""

    def __init__(self, client: SyncingClient, conversation_id: int) -> None:
        self.client = client
        self.connection = client.connection
        self.pending = client.send(conversation_id, "ack lost on the way")
        self.connection.paused = True
        self.give_up_at = time.monotonic() + 5

    def resolve(self, clients: list[SyncingClient]) -> bool:
        self.pending.known_stored = any(self.pending.client_id in other.others_seen for other in clients)
        if self.pending.known_stored or time.monotonic() > self.give_up_at:
            self.connection.kill()
            return True
        return False


class Chaos:
    def __init__(self, servers: tuple[LiveServer, ...], clients: list[SyncingClient], hub: WireHub,
                 rng: random.Random) -> None:
        self.servers, self.clients, self.hub, self.rng = servers, clients, hub, rng
        self.instances = Instances(servers)
        self.lost_acks: list[LostAck] = []
        self.client_kills = 0

    def step(self, writing: bool) -> None:
        self.lost_acks = [lost for lost in self.lost_acks if not lost.resolve(self.clients)]
        for client in self.clients:
            paused = client.connection is not None and client.connection.paused
            client.step(self.instances.up, writing=writing and not paused)
        self.hub.pump_once(0.005)

    def run(self, seconds: float) -> None:
        started = time.monotonic()
        worker_kills = [(started + at * seconds, server) for at, server in zip(WORKER_KILLS_AT, self.servers,
                                                                                  strict=True)]
        next_client_kill = next_lost_ack = started
        while (now := time.monotonic()) < started + seconds:
            if worker_kills and now >= worker_kills[0][0]:
                self.instances.kill_worker(worker_kills.pop(0)[1])
            if now >= next_client_kill:
                self._kill_a_connection()
                next_client_kill = now + self.rng.expovariate(CLIENT_KILLS_PER_SECOND)
            if now >= next_lost_ack:
                self._lose_an_ack()
                next_lost_ack = now + LOST_ACK_EVERY_SECONDS
            self.step(writing=True)

    def calm_until(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            self.step(writing=False)

    def _kill_a_connection(self) -> None:
        victim = self.rng.choice(self.clients)
        if victim.connected and not victim.connection.paused:
            victim.kill()
            self.client_kills += 1

    def _lose_an_ack(self) -> None:
        sender = self.rng.choice(self.clients)
        if sender.connected and not sender.connection.paused:
            self.lost_acks.append(LostAck(sender, self.rng.choice(sender.conversation_ids)))


def test_every_client_ends_with_exactly_the_stored_messages(two_instances):
    rng = random.Random(5)
    users = [ChatUser.register(two_instances[0].url) for _ in range(USERS)]
    members_of: dict[int, list[ChatUser]] = {create_group(users[0], tuple(users[1:])): users}
    for half in (users[:4], users[4:]):
        members_of[create_group(half[0], tuple(half[1:]))] = half
    for left, right in zip(users[::2], users[1::2], strict=True):
        members_of[open_direct(left, right)] = [left, right]
    hub, tally = WireHub(), Tally()
    clients = [SyncingClient(hub, user, [cid for cid, members in members_of.items() if user in members], rng, tally)
               for user in users]
    chaos = Chaos(two_instances, clients, hub, rng)
    try:
        chaos.run(CHAOS_SECONDS)
        chaos.calm_until(lambda: not chaos.lost_acks and len(chaos.instances.up) == len(two_instances)
                         and all(client.settled_writes() for client in clients), 60, "every send acknowledged")
        # A last message in each conversation shows every client a change it missed, if any (a gap).
        for conversation_id, members in members_of.items():
            next(client for client in clients if client.user is members[0]).send(conversation_id, "the end")
        chaos.calm_until(lambda: all(client.settled_writes() for client in clients), 30, "the last messages")
        final = {cid: members[0].api("GET", f"/conversations/{cid}").json()["conversation"]["last_revision"]
                 for cid, members in members_of.items()}
        chaos.calm_until(lambda: all(client.settled(final) for client in clients), 30, "every client caught up")

        print(f"\nchaos: {tally.sends} sends ({tally.retries} retries, {tally.duplicates} answered duplicate, "
              f"{tally.retries_after_commit} retried after being stored), {tally.edits} edits, {tally.deletes} "
              f"deletes, {chaos.client_kills} connections killed, workers {chaos.instances.killed} killed, "
              f"{tally.connects} connects, {tally.syncs} syncs ({tally.gap_syncs} for a gap)")
        assert len(chaos.instances.killed) == len(WORKER_KILLS_AT)
        assert tally.out_of_order == []
        assert tally.retries_after_commit > 0 and tally.retries_after_commit_not_duplicate == []
        assert sum(len(client.acknowledged) for client in clients) == tally.sends
        stored_everywhere = []
        for conversation_id, members in members_of.items():
            stored = history(members[0], conversation_id)
            stored_everywhere += stored
            for client in clients:
                if conversation_id in client.messages:
                    assert snapshot(client.messages[conversation_id].values()) == snapshot(stored), (
                        client.user.username, conversation_id)
        assert max(Counter(message["client_id"] for message in stored_everywhere).values()) == 1  # exactly once
        by_id = {message["id"]: message for message in stored_everywhere}
        for client in clients:
            for client_id, message in client.acknowledged.items():
                assert by_id[message["id"]]["client_id"] == client_id
    finally:
        hub.close()
