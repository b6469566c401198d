"""Fixtures of the chat-core integration tests: users registered on the session's live
server, and sockets that are closed after each test."""
from __future__ import annotations

import pytest

from tests.integration.chat import EVENTS
from tests.servers import ChatUser, RecordingSocket


@pytest.fixture
def register(live_server):
    """Register a fresh user on the live server."""
    def make() -> ChatUser:
        return ChatUser.register(live_server.url)
    return make


@pytest.fixture
def connect():
    """Open a recording websocket for a user; every socket is closed after the test."""
    opened: list[RecordingSocket] = []

    def open_socket(user: ChatUser, events: tuple[str, ...] = EVENTS) -> RecordingSocket:
        socket = user.socket(events)
        opened.append(socket)
        return socket

    yield open_socket
    for socket in opened:
        socket.disconnect()
