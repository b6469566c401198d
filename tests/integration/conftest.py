"""Fixtures of the chat-core integration tests: users registered on the session's live server
(their sockets come from the `connect` fixture of tests/conftest.py)."""
from __future__ import annotations

import pytest

from tests.servers import ChatUser


@pytest.fixture
def register(live_server):
    """Register a fresh user on the live server."""
    def make() -> ChatUser:
        return ChatUser.register(live_server.url)
    return make
