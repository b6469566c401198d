"""The Socket.IO fuzz of tests/fuzz/test_socket_events.py on PostgreSQL, fewer cases an event: PostgreSQL
refuses what SQLite takes (a NUL in text, an integer past 32 bits), and each such refusal reached from an
event was an `internal_error` until it was checked for."""
from __future__ import annotations

import pytest

from tests.fuzz.conftest import POSTGRESQL_FUZZ_SETTINGS, postgresql_app
from tests.fuzz.test_socket_events import EVENTS, refuses_hostile_payloads

pytestmark = [pytest.mark.fuzz, pytest.mark.integration]


@pytest.fixture(params=["postgresql"])
def app(request, tmp_path, app_settings):
    yield from postgresql_app(request, tmp_path, app_settings)


@pytest.mark.parametrize("event", sorted(EVENTS))
def test_an_event_refuses_hostile_payloads_on_postgresql(world, faults, socket_client_for, event):
    refuses_hostile_payloads(world, faults, socket_client_for, event, POSTGRESQL_FUZZ_SETTINGS)
