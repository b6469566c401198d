"""Fixtures of the fault suite (marker `faults`): a gunicorn of its own on SQLite with local
storage, so that its log, its database file and its storage folder hold only what these tests did."""
from __future__ import annotations

import random
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.delivery.syncing_client import SyncingClient, Tally
from tests.delivery.workload import snapshot
from tests.integration.chat import create_group, history, open_direct
from tests.servers import ChatUser, LiveServer, own_server
from tests.wire_client import WireHub

# Server log lines that mean a fault reached the server's error path (or gunicorn's).
SERVER_FAULTS = ("Traceback", "internal_error", "database is locked", "Error handling request", "[CRITICAL]",
                 "WORKER TIMEOUT")


@pytest.fixture(scope="package")
def fault_server(tmp_path_factory):
    yield from own_server(tmp_path_factory, "faults", jobs=False)


def server_faults(server: LiveServer) -> list[str]:
    """The lines of the server's log that show a fault."""
    return [line for line in server.log_text().splitlines() if any(fault in line for fault in SERVER_FAULTS)]


def database_rows(server: LiveServer, query: str, *parameters) -> list[tuple]:
    """Rows of the server's own SQLite file, read beside it (WAL lets a reader in while it writes)."""
    with sqlite3.connect(f"file:{server.workdir / 'switchboard.db'}?mode=ro", uri=True) as connection:
        return connection.execute(query, parameters).fetchall()


def storage_root(server: LiveServer) -> Path:
    return server.workdir / "files"


def assert_clients_hold_the_stored_messages(clients: list[SyncingClient], readers: dict[int, ChatUser]) -> None:
    """Every client holds exactly the stored messages of each of its conversations (read by a
    member: conversation id -> reader), no client_id is stored twice, every ack names its stored message."""
    stored_everywhere = []
    for conversation_id, reader in readers.items():
        stored = history(reader, conversation_id)
        stored_everywhere += stored
        for client in clients:
            if conversation_id in client.messages:
                assert snapshot(client.messages[conversation_id].values()) == snapshot(stored), (
                    client.user.username, conversation_id)
    # Membership notes (a join's "Bob joined the group") are the service's: they carry no client_id.
    assert max(Counter(message["client_id"] for message in stored_everywhere
                       if message["client_id"] is not None).values(), default=1) == 1
    by_id = {message["id"]: message for message in stored_everywhere}
    for client in clients:
        for client_id, message in client.acknowledged.items():
            assert by_id[message["id"]]["client_id"] == client_id


def calm_until(step: Callable[[bool], None], done: Callable[[], bool], timeout: float, what: str) -> None:
    """Let the clients run without writing (`step(False)`) until `done()`; TimeoutError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        step(False)


@dataclass
class SmallChat:
    """Users in one group and direct chats in pairs, each with a resyncing client (tests.delivery)."""

    users: list[ChatUser]
    members_of: dict[int, list[ChatUser]]  # conversation id -> members, the first a reader of it
    hub: WireHub
    tally: Tally
    clients: list[SyncingClient]

    @classmethod
    def start(cls, server_url: str, users: int, rng: random.Random) -> SmallChat:
        people = [ChatUser.register(server_url) for _ in range(users)]
        members_of = {create_group(people[0], tuple(people[1:])): people}
        for left, right in zip(people[::2], people[1::2], strict=True):
            members_of[open_direct(left, right)] = [left, right]
        hub, tally = WireHub(), Tally()
        clients = [SyncingClient(hub, user, [cid for cid, members in members_of.items() if user in members], rng,
                                 tally) for user in people]
        return cls(people, members_of, hub, tally, clients)

    def finish(self, step: Callable[[bool], None], ready: Callable[[], bool] = lambda: True) -> None:
        """Once `ready()`, every write answered; then a last message in each conversation (it shows every
        member a change it missed, if any), and every client caught up to each conversation's last revision."""
        clients = self.clients
        calm_until(step, lambda: ready() and all(client.settled_writes() for client in clients), 60,
                   "every send acknowledged")
        for conversation_id, members in self.members_of.items():
            next(client for client in clients if client.user is members[0]).send(conversation_id, "the end")
        calm_until(step, lambda: all(client.settled_writes() for client in clients), 30, "the last messages")
        final = {cid: members[0].api("GET", f"/conversations/{cid}").json()["conversation"]["last_revision"]
                 for cid, members in self.members_of.items()}
        calm_until(step, lambda: all(client.settled(final) for client in clients), 30, "every client caught up")

    def check(self) -> None:
        assert self.tally.out_of_order == []
        assert sum(len(client.acknowledged) for client in self.clients) == self.tally.sends
        assert_clients_hold_the_stored_messages(self.clients, {cid: members[0]
                                                               for cid, members in self.members_of.items()})
