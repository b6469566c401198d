"""Fixtures of the fault suite (marker `faults`): a gunicorn of its own on SQLite with local
storage, so that its log, its database file and its storage folder hold only what these tests did."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import LiveServer

# Server log lines that mean a fault reached the server's error path (or gunicorn's).
SERVER_FAULTS = ("Traceback", "internal_error", "database is locked", "Error handling request", "[CRITICAL]",
                 "WORKER TIMEOUT")


def own_server(tmp_path_factory, name: str, jobs: bool = False) -> Iterator[LiveServer]:
    """A fixture's body: a migrated gunicorn of its own (with its job consumer if `jobs`), stopped after."""
    server = LiveServer(tmp_path_factory.mktemp(name), jobs=jobs)
    server.migrate()
    yield server.start()
    server.stop()


@pytest.fixture(scope="package")
def fault_server(tmp_path_factory):
    yield from own_server(tmp_path_factory, "faults")


def server_faults(server: LiveServer) -> list[str]:
    """The lines of the server's log that show a fault."""
    return [line for line in server.log_text().splitlines() if any(fault in line for fault in SERVER_FAULTS)]


def database_rows(server: LiveServer, query: str, *parameters) -> list[tuple]:
    """Rows of the server's own SQLite file, read beside it (WAL lets a reader in while it writes)."""
    with sqlite3.connect(f"file:{server.workdir / 'switchboard.db'}?mode=ro", uri=True) as connection:
        return connection.execute(query, parameters).fetchall()


def storage_root(server: LiveServer) -> Path:
    return server.workdir / "files"
