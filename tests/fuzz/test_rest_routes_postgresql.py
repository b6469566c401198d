"""The REST fuzz of tests/fuzz/test_rest_routes.py on PostgreSQL, fewer cases a route: PostgreSQL refuses
what SQLite takes (a NUL in text, an integer past 32 bits, an index row too large), and each such refusal
reached from a request was a 500 until it was checked for (docs/protocol.md, Input rules)."""
from __future__ import annotations

import pytest

from tests.fuzz.conftest import POSTGRESQL_FUZZ_SETTINGS, postgresql_app
from tests.fuzz.test_rest_routes import OPERATIONS, refuses_hostile_input

pytestmark = [pytest.mark.fuzz, pytest.mark.integration]


@pytest.fixture(params=["postgresql"])
def app(request, tmp_path, app_settings):
    yield from postgresql_app(request, tmp_path, app_settings)


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS,
                         ids=[f"{method} {path}" for method, path, _ in OPERATIONS])
def test_a_route_refuses_hostile_input_on_postgresql(app, world, faults, method, path, operation):
    refuses_hostile_input(app, world, faults, method, path, operation, POSTGRESQL_FUZZ_SETTINGS)
