"""Users registered on the session's live server (tests/conftest.py `live_server`)."""
from __future__ import annotations

import pytest

from tests.servers import ChatUser


@pytest.fixture
def register(live_server):
    def make() -> ChatUser:
        return ChatUser.register(live_server.url)
    return make
