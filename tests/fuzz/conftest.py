"""What every fuzz test shares: a small world to aim at, the log to watch, and the settings.

Every test here is marked `fuzz` (`pytestmark`), and runs in the default run, as CI runs it;
`-m "not fuzz"` leaves them out.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from actions.messages import send_message
from tests.database_apps import engine_app
from tests.factories import make_group, make_user
from tests.helpers import bearer

CASES = 1000  # generated cases for each route and each event, at least
FUZZ_SETTINGS = settings(
    max_examples=CASES, deadline=None, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much, HealthCheck.large_base_example],
)
DOCS = Path(__file__).resolve().parents[2] / "docs"
# The PostgreSQL passes (test_*_postgresql.py): fewer cases, aimed at what PostgreSQL refuses and SQLite takes.
POSTGRESQL_FUZZ_SETTINGS = settings(FUZZ_SETTINGS, max_examples=150)


def postgresql_app(request, tmp_path, app_settings):
    """For a module's `app` fixture (params=["postgresql"]): the app on a throwaway PostgreSQL database."""
    with engine_app(request, tmp_path) as app:
        app.config.update(app_settings)
        yield app


@pytest.fixture
def app_settings():
    """Contact requests unlimited: the fuzz aims at what checks a request, not at the per-user limit
    (tests/contacts has its own test). Past 30 every contact:request would be refused rate_limited
    before its payload is read, and a socket refused rate_limited SOCKET_BUSY_DISCONNECT times in a
    minute is cut. Searches likewise (SEARCHES_PER_MINUTE)."""
    return {"CONTACT_REQUESTS_PER_HOUR": 0, "SEARCHES_PER_MINUTE": 0}


@dataclass
class World:
    """alice owns the group "Team" with bob; each wrote a message there; the operator runs the place."""

    alice_headers: dict
    operator_headers: dict
    ids: dict[str, list[int]]  # what each kind of path id may name


@pytest.fixture
def world(app) -> World:
    alice, bob, operator = make_user("alice"), make_user("bob"), make_user("operator", role="admin")
    group = make_group(alice, "Team", [bob])
    own = send_message(alice, group.id, "from alice").message
    others = send_message(bob, group.id, "from bob").message
    return World(bearer(alice), bearer(operator), {
        "conversation_id": [group.id], "message_id": [own.id, others.id], "user_id": [bob.id, alice.id],
        "attachment_id": [1]})


@pytest.fixture
def faults():
    """Log records of faults (errors, or anything with a traceback) while the test runs."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.ERROR or record.exc_info:
                records.append(record)

    handler = Collect(level=logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    yield records
    root.removeHandler(handler)


def documented_codes() -> set[str]:
    """Every error code the docs name: protocol.md's Errors section (which lists them all,
    tests/test_protocol_doc.py) and files.md; not any word of the docs in backquotes."""
    protocol = (DOCS / "protocol.md").read_text()
    errors = protocol[protocol.index("\n## Errors\n"):protocol.index("\n## Input\n")]
    return set(re.findall(r"`([a-z_]+)`", errors + (DOCS / "files.md").read_text()))


def is_documented(code: str) -> bool:
    # `invalid_<field>` stands for every field's code.
    return code.startswith("invalid_") or code in DOCUMENTED_CODES


DOCUMENTED_CODES = documented_codes()
