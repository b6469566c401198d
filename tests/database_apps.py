"""Apps on SQLite or on a fresh PostgreSQL database, for tests that must pass on both engines.

A test module overrides the `app` fixture with `engine_app(request, tmp_path)` parametrized
over ENGINES; every fixture built on `app` (users, logged-in clients) then runs on both.
PostgreSQL tests are marked `integration`: they start a throwaway cluster (tests/engines.py).
"""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade

from app import create_app
from config import normalize_database_url
from extensions import db
from tests.clients import IsolatedClient

ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]
_database_numbers = itertools.count(1)


@contextmanager
def app_on(database_uri: str, tmp_path: Path) -> Iterator[Flask]:
    """An app on that database, migrated to the latest revision, with an app context pushed."""
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_uri, "WTF_CSRF_ENABLED": False,
         "SOCKETIO_ASYNC_MODE": "threading"},
        environ={"SWITCHBOARD_ENV": "testing", "SOCKETIO_ASYNC_MODE": "threading",
                 "STORAGE_LOCAL_PATH": str(tmp_path / "files")},
    )
    app.test_client_class = IsolatedClient  # as in tests/conftest.py
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()  # closes its connections, so that the database can be dropped


@contextmanager
def postgres_database(server) -> Iterator[str]:
    """A new database on the server, dropped afterwards. Its ctype is UTF-8, as docs/deployment.md
    asks: pg_trgm then takes trigrams from Chinese text too."""
    import psycopg

    name = f"search_{next(_database_numbers)}"
    with psycopg.connect(server.url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
                           "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'")
    try:
        yield normalize_database_url(server.url.rsplit("/", 1)[0] + "/" + name)
    finally:
        with psycopg.connect(server.url, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def engine_app(request, tmp_path: Path) -> Iterator[Flask]:
    """The app for `request.param` ("sqlite" or "postgresql"; the latter needs a `postgres` fixture)."""
    if request.param == "sqlite":
        with app_on(f"sqlite:///{tmp_path / 'test.db'}", tmp_path) as app:
            yield app
        return
    with postgres_database(request.getfixturevalue("postgres")) as url, app_on(url, tmp_path) as app:
        yield app
