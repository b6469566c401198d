"""One live server for the presence, typing and session-policy tests: single-session policy (token
users are not login sessions, so the other tests are unaffected) and a short offline grace period."""
from __future__ import annotations

import pytest

from tests.servers import own_server

GRACE_SECONDS = 1.5


@pytest.fixture(scope="package")
def presence_server(tmp_path_factory):
    yield from own_server(tmp_path_factory, "presence-live", jobs=False,
                          env={"SESSION_POLICY": "single", "PRESENCE_GRACE_SECONDS": str(GRACE_SECONDS)})
