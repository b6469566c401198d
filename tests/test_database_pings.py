"""models.database.ping_when_idle on a real PostgreSQL: a pooled connection given back just now is used
at once (no round trip), one idle past DATABASE_PING_AFTER_IDLE_SECONDS is checked first and replaced if
the server dropped it, and one dropped within that delay fails its first statement as `unavailable`,
after which the pool replaces it. The whole service under a restart: tests/faults/test_postgres_restart.py."""
from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import create_engine, exc, text

from config import normalize_database_url
from models.database import is_unavailable, ping_when_idle


@pytest.fixture
def database_url(postgres):
    """The throwaway cluster's database (tests/conftest.py); each test drops only its own connections."""
    return postgres.url


@pytest.fixture
def engine_pinging_after(database_url, monkeypatch):
    """An engine on that database pinging after `seconds` idle; `.pings` counts the checks."""
    engines = []

    def build(seconds: float):
        engine = create_engine(normalize_database_url(database_url), pool_size=2, max_overflow=0)
        ping_when_idle(engine, seconds)
        engine.pings = 0
        real_ping = engine.dialect.do_ping

        def counted_ping(dbapi_connection):
            engine.pings += 1
            return real_ping(dbapi_connection)

        monkeypatch.setattr(engine.dialect, "do_ping", counted_ping)
        engines.append(engine)
        return engine

    yield build
    for engine in engines:
        engine.dispose()


def backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def drop_from_the_server(database_url: str, pid: int) -> None:
    """What a restart, an idle timeout or an administrator does to one connection."""
    with psycopg.connect(database_url, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
        for _ in range(100):  # the backend is gone once it is no longer listed
            if admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone() == (0,):
                return
            time.sleep(0.02)
    raise AssertionError(f"backend {pid} still there")


def test_a_connection_given_back_just_now_is_used_without_a_ping(engine_pinging_after):
    engine = engine_pinging_after(60)
    pids = {backend_pid(engine) for _ in range(5)}
    assert len(pids) == 1  # the same pooled connection each time
    assert engine.pings == 0


def test_a_connection_idle_past_the_delay_is_pinged_first(engine_pinging_after):
    engine = engine_pinging_after(0.2)
    first = backend_pid(engine)  # a new connection: not pinged
    time.sleep(0.3)
    assert backend_pid(engine) == first
    assert engine.pings == 1
    assert backend_pid(engine) == first  # given back just now
    assert engine.pings == 1


def test_a_connection_the_server_dropped_while_idle_is_replaced_before_use(engine_pinging_after, database_url):
    engine = engine_pinging_after(0.2)
    dropped = backend_pid(engine)
    drop_from_the_server(database_url, dropped)
    time.sleep(0.3)
    replacement = backend_pid(engine)  # no error: the ping found it dead and the pool opened another
    assert replacement != dropped
    assert engine.pings == 1


def test_every_use_is_pinged_at_zero(engine_pinging_after, database_url):
    engine = engine_pinging_after(0)
    dropped = backend_pid(engine)
    drop_from_the_server(database_url, dropped)
    assert backend_pid(engine) != dropped  # as SQLAlchemy's pool_pre_ping would
    assert engine.pings == 1


def test_a_connection_dropped_within_the_delay_fails_once_as_unavailable(engine_pinging_after, database_url):
    engine = engine_pinging_after(60)
    dropped = backend_pid(engine)
    drop_from_the_server(database_url, dropped)
    with pytest.raises(exc.DBAPIError) as failure:
        backend_pid(engine)
    assert is_unavailable(failure.value)  # answered `unavailable`: the client retries
    assert failure.value.connection_invalidated
    assert backend_pid(engine) != dropped  # the next unit of work gets a new connection
    assert engine.pings == 0
