"""Apps for tests: on a copy of a SQLite file migrated once per session, or on a fresh
PostgreSQL database copied from one migrated once per cluster, for tests that must pass on both engines.

The `app` fixture (tests/conftest.py) copies the `migrated_sqlite` file the session built with
the real migrations: a file copy takes a millisecond, running every migration tens.

A test module overrides the `app` fixture with `engine_app(request, tmp_path)` parametrized
over ENGINES; every fixture built on `app` (users, logged-in clients) then runs on both.
PostgreSQL tests are marked `integration`: they start a throwaway cluster (tests/engines.py).
"""
from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade

from app import create_app
from config import normalize_database_url
from extensions import db
from tests.clients import IsolatedClient
from tests.url_builders import share_url_builders

ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]
_database_numbers = itertools.count(1)


# Tests make users and messages by the hundred: these two limits are off unless a test sets them
# (tests/test_send_rate.py, tests/integration/test_abuse_limits.py). Every other limit is on.
UNLIMITED_SENDS_AND_SIGNUPS = {"SEND_PER_MINUTE": 0, "REGISTRATIONS_PER_HOUR": 0}
share_url_builders()  # an app per test: each URL rule's builders compiled once (tests/url_builders.py)


def testing_app(database_uri: str, tmp_path: Path, settings: Mapping[str, object] | None = None) -> Flask:
    """The testing configuration on that database, with files under tmp_path; `settings` win."""
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_uri, "WTF_CSRF_ENABLED": False,
         "SOCKETIO_ASYNC_MODE": "threading", **UNLIMITED_SENDS_AND_SIGNUPS,
         "PRESENCE_BATCH_SECONDS": 0,  # no presence:batch among the events socket tests expect (tests/presence: live)
         **(settings or {})},
        environ={"SWITCHBOARD_ENV": "testing", "SOCKETIO_ASYNC_MODE": "threading",
                 "STORAGE_LOCAL_PATH": str(tmp_path / "files")},
    )
    # Requests and socket events get their own app context (see tests/clients.py).
    app.test_client_class = IsolatedClient
    return app


def build_migrated_sqlite(folder: Path) -> Path:
    """A SQLite file built by the real migrations, closed so that it can be copied."""
    path = folder / "migrated.db"
    app = testing_app(f"sqlite:///{path}", folder)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            # WAL mode: committed pages may still be in the -wal file, which a copy of the
            # database file alone would lose. Write them into the database file.
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.session.remove()
        db.engine.dispose()  # no connection is left open on the file while it is copied
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0, f"{wal} still holds pages"
    return path


def sqlite_copy(migrated: Path, tmp_path: Path) -> str:
    """The URL of a fresh copy of the migrated file, in the test's folder."""
    database = tmp_path / "test.db"
    shutil.copyfile(migrated, database)
    return f"sqlite:///{database}"


@contextmanager
def app_on(database_uri: str, tmp_path: Path, settings: Mapping[str, object] | None = None, *,
           migrate: bool = True) -> Iterator[Flask]:
    """An app on that database, migrated to the latest revision, with an app context pushed; its connections
    and its job queue's closed afterwards (not whenever the cyclic collector frees the app: a SQLite
    connection is three open files)."""
    app = testing_app(database_uri, tmp_path, settings)
    with app.app_context():
        if migrate:
            upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()  # closes its connections, so that the database can be dropped
        stop_jobs(app)


def stop_jobs(app: Flask) -> None:
    """The relay's task stopped (jobs/relay.py: it would look for the job consumer's events every half second
    for as long as the test process runs, one task for each app whose sockets started it) and the job queue's
    storage closed (on SQLite, a connection to the queue's file)."""
    relay = app.extensions.get("jobs_relay")
    if relay is not None:
        relay.stop_receiving()
    app.extensions["jobs"].huey.storage.close()


MIGRATED_TEMPLATE = "switchboard_migrated"
EMPTY_UTF8 = "TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"


@contextmanager
def postgres_database(server, *, migrated: bool = False) -> Iterator[str]:
    """A new database on the server, dropped afterwards: empty, or (`migrated`) a copy of one the real
    migrations built once on this server (the SQLite file's counterpart: a copy takes tens of milliseconds,
    the migrations a second). Its ctype is UTF-8, as docs/deployment.md asks: pg_trgm then takes trigrams
    from Chinese text too."""
    import psycopg

    name = f"search_{next(_database_numbers)}"
    source = f"TEMPLATE {_migrated_template(server)}" if migrated else EMPTY_UTF8
    with psycopg.connect(server.url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name} {source}")
    try:
        yield _database_url(server, name)
    finally:
        with psycopg.connect(server.url, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _database_url(server, name: str) -> str:
    return normalize_database_url(server.url.rsplit("/", 1)[0] + "/" + name)


def _migrated_template(server) -> str:
    """The server's database built by the real migrations, for copies; built on first use. Nothing stays
    connected to it (PostgreSQL copies a database nobody is connected to)."""
    import tempfile

    import psycopg

    with psycopg.connect(server.url, autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (MIGRATED_TEMPLATE,)).fetchone():
            return MIGRATED_TEMPLATE
        connection.execute(f"CREATE DATABASE {MIGRATED_TEMPLATE} {EMPTY_UTF8}")
    folder = Path(tempfile.mkdtemp(prefix="switchboard-template-"))
    try:
        with app_on(_database_url(server, MIGRATED_TEMPLATE), folder):
            pass
    except BaseException:
        with psycopg.connect(server.url, autocommit=True) as connection:  # not half migrated for the next test
            connection.execute(f"DROP DATABASE IF EXISTS {MIGRATED_TEMPLATE} WITH (FORCE)")
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return MIGRATED_TEMPLATE


@contextmanager
def engine_app(request, tmp_path: Path) -> Iterator[Flask]:
    """The app for `request.param` ("sqlite" or "postgresql", on the `postgres` fixture of tests/conftest.py)."""
    if request.param == "sqlite":
        database_uri = sqlite_copy(request.getfixturevalue("migrated_sqlite"), tmp_path)
        with app_on(database_uri, tmp_path, migrate=False) as app:
            yield app
        return
    with postgres_database(request.getfixturevalue("postgres"), migrated=True) as url, \
            app_on(url, tmp_path, migrate=False) as app:
        yield app
