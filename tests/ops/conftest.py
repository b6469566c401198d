"""Fixtures of the operations tests: dependencies that can be stopped, and an app built on them."""
from __future__ import annotations

import socket
import threading

import pytest

from tests.files.conftest import moto  # noqa: F401  (the session's S3 server, shared with the files tests)
from tests.servers import free_port


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections and never answers: a dependency that hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: connections are refused."""
    return free_port()
