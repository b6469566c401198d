"""Fixtures: an app on a fresh SQLite file (a copy of one the real migrations built once per
session), its clients, and named users. Integration fixtures that start real servers live in
tests/servers.py."""
from __future__ import annotations

import gc

import pytest

from extensions import socketio
from tests.clients import IsolatedSocketClient
from tests.database_apps import app_on, sqlite_copy
from tests.factories import PASSWORD, make_group, make_user
from tests.helpers import events
from tests.receivers import smtp_inbox
from tests.servers import CHAT_EVENTS, ChatUser, RecordingSocket, migrated_sqlite_file, own_server


def pytest_collection_finish(session):
    """The cyclic garbage collector, tuned for a test process as wsgi.py tunes a worker: what exists once the
    tests are collected (the modules, the test items) lives as long as the process, so it is frozen out of the
    full collections; and young collections wait for 20,000 new objects instead of 700, since every test builds
    an app (tens of thousands of objects) and each collection scanned them again. 651 tests of the first pass
    took 0.85x the CPU so, for about 0.3 GB more memory a process (docs/benchmarks.md, "The test suite's garbage
    collector")."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


@pytest.fixture
def app_settings():
    """Extra settings for `app`; override per test, e.g. parametrize with {"WTF_CSRF_ENABLED": True}."""
    return {}


@pytest.fixture(scope="session")
def migrated_sqlite():
    """A SQLite file the real migrations built, once per test process: each `app` works on a copy,
    as do the live servers on SQLite (tests/servers.py)."""
    return migrated_sqlite_file()


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL cluster (tests/engines.py), one per test process, started when a test first
    asks for it: `engine_app` makes a fresh database on it for each test (tests/database_apps.py). Tests
    that stop or restart PostgreSQL start a cluster of their own."""
    from tests.engines import PostgresServer

    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def app(tmp_path, app_settings, migrated_sqlite):
    """The testing app on its own copy of the migrated database, with an app context pushed."""
    with app_on(sqlite_copy(migrated_sqlite, tmp_path), tmp_path, app_settings, migrate=False) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def alice(app):
    return make_user("alice")


@pytest.fixture
def bob(app):
    return make_user("bob")


@pytest.fixture
def carol(app):
    return make_user("carol")


@pytest.fixture
def operator(app):
    return make_user("operator", role="admin")


@pytest.fixture
def group(alice, bob):
    """alice's private group "Team", with bob as a member; carol is not in it."""
    return make_group(alice, "Team", [bob])


class AuthActions:
    """Log the test client in and out through the real login form."""

    def __init__(self, client):
        self._client = client

    def login(self, username: str = "alice", password: str = PASSWORD):
        return self._client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def socket_client_for(app, client):
    """A Flask-SocketIO test client logged in as a user (through the login form)."""
    made = []

    def connect(username: str, password: str = PASSWORD):
        http = app.test_client()
        http.post("/login", data={"username": username, "password": password})
        socket = IsolatedSocketClient(app, socketio, flask_test_client=http)
        made.append(socket)
        return socket

    yield connect
    for socket in made:
        if socket.is_connected():
            socket.disconnect()


@pytest.fixture
def sockets(request, alice, bob, carol, socket_client_for):
    """Test sockets of alice, bob and carol by username, with nothing received yet. In a test that
    uses `group` they connect once it exists, so that, like an open page, they start in its room."""
    if "group" in request.fixturenames:
        request.getfixturevalue("group")
    connected = {user.username: socket_client_for(user.username) for user in (alice, bob, carol)}
    for socket in connected.values():
        events(socket)
    return connected


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """gunicorn + gevent serving wsgi:app on SQLite, shared by the session's integration tests; its
    database migrated by `flask db upgrade` as scripts/serve does it (the other servers' are copies)."""
    yield from own_server(tmp_path_factory, "live", migrate_with_cli=True)


@pytest.fixture
def connect():
    """Open a recording websocket to a live server for a user; every socket is closed after the test."""
    opened: list[RecordingSocket] = []

    def open_socket(user: ChatUser, listen_to: tuple[str, ...] = CHAT_EVENTS) -> RecordingSocket:
        socket = user.socket(listen_to)
        opened.append(socket)
        return socket

    yield open_socket
    for socket in opened:
        socket.disconnect()


CHROMIUM = "/usr/bin/chromium"  # Debian's: Playwright cannot download its own browser here
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Playwright's device descriptors ("iPhone 12", "Pixel 5": viewport, scale, touch, user agent), filled
# by the `browser` fixture from the one Playwright it starts (tests/browser/test_layout_phone.py).
DEVICES: dict[str, dict] = {}


@pytest.fixture(scope="module")
def browser():
    """Chromium through Playwright's sync API, for every browser test (started only by them).

    The one place that starts Playwright: only one sync API may run in a process, and while it
    runs it marks the main thread's asyncio loop as running (asyncio.run() fails). Module scope
    stops it after each module that used it, so no other module ever runs beside it."""
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        DEVICES.update(playwright.devices)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real redis-server on a free 127.0.0.1 port."""
    from tests.engines import RedisServer

    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def stoppable_redis(tmp_path):
    """A redis-server of the test's own, which the test may stop (stop() twice is harmless)."""
    from tests.engines import RedisServer

    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on 127.0.0.1: (its inbox, its port); tests/test_notify.py smtp_settings."""
    with smtp_inbox() as received:
        yield received


@pytest.fixture
def captured_events(app):
    """The domain events published (committed and released) during the test, in order."""
    from tests.event_capture import capture

    return capture(app)
