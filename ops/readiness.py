"""Is each dependency reachable? The database (and is its schema at this code's latest migration, or
past it: `SchemaBehind`), the message queue (Redis, when
SOCKETIO_MESSAGE_QUEUE is set), the job queue's storage (Huey: SQLite or Redis) and the file
storage (a local folder, or the S3 bucket), each checked for real and timed.

`check_all(app)` runs the checks side by side (threads, greenlets under gevent) and waits
READINESS_TIMEOUT_SECONDS at most: a check still running then is reported down, so a
dependency that hangs never hangs the caller (`/readyz`, the back office, the outage
handling). Every client a check uses has its own short timeouts as well, so a hung check
ends by itself soon after. A check's outcome changing (up to down, down to up) is logged
once per process, not at every probe.
"""
from __future__ import annotations

import functools
import logging
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

log = logging.getLogger(__name__)

UP, DOWN = "up", "down"


@dataclass(frozen=True)
class Check:
    name: str
    backend: str  # sqlite, postgresql, redis, in-process, local, s3
    probe: Callable[[], None]  # returns when reachable, raises otherwise


class _Outcome:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.seconds = 0.0


_last_status: dict[tuple[int, str], str] = {}


def checks_of(app: Flask) -> list[Check]:
    """The dependencies this app's settings name, in a fixed order."""
    config = app.config
    return [
        Check("database", app.extensions["sqlalchemy"].engines[None].dialect.name, _database_probe(app)),
        _message_queue_check(config),
        _jobs_check(app),
        _storage_check(config),
    ]


def check_all(app: Flask, timeout: float | None = None) -> dict:
    """{"ok": all up, "checks": {name: {"status": "up"|"down", "backend", "latency_ms", "error"?, "detail"?}}}.

    `error` is a short code (timeout, unreachable, failed); `detail` says what failed and is for
    operators only (the back office, the logs): /readyz leaves it out."""
    timeout = app.config["READINESS_TIMEOUT_SECONDS"] if timeout is None else timeout
    with app.app_context():
        checks = checks_of(app)
    outcomes = [_start(check, app) for check in checks]
    deadline = time.monotonic() + timeout
    results = {}
    for check, outcome in zip(checks, outcomes, strict=True):
        finished = outcome.done.wait(max(deadline - time.monotonic(), 0))
        results[check.name] = _result(check, outcome if finished else None, timeout)
        _log_change(app, check.name, results[check.name])
    return {"ok": all(result["status"] == UP for result in results.values()), "checks": results}


def public_view(readiness: dict) -> dict:
    """What /readyz shows anyone who asks: statuses, backends, latencies and error codes, no details
    (a detail may name internal hosts)."""
    return {"ok": readiness["ok"], "checks": {
        name: {key: value for key, value in result.items() if key != "detail"}
        for name, result in readiness["checks"].items()}}


def _start(check: Check, app: Flask) -> _Outcome:
    outcome = _Outcome()

    def run() -> None:
        started = time.monotonic()
        try:
            with app.app_context():
                check.probe()
        except BaseException as error:  # noqa: BLE001  (any failure means down; it is reported)
            outcome.error = error
        outcome.seconds = time.monotonic() - started
        outcome.done.set()

    threading.Thread(target=run, name=f"readiness-{check.name}", daemon=True).start()
    return outcome


def _result(check: Check, outcome: _Outcome | None, timeout: float) -> dict:
    if outcome is None:
        return {"status": DOWN, "backend": check.backend, "latency_ms": round(timeout * 1000, 1),
                "error": "timeout", "detail": f"no answer within {timeout:g} s"}
    result = {"status": UP if outcome.error is None else DOWN, "backend": check.backend,
              "latency_ms": round(outcome.seconds * 1000, 1)}
    if outcome.error is not None:
        result["error"] = _error_code(outcome.error)
        first_line = (str(outcome.error).strip().splitlines() or [""])[0]
        result["detail"] = f"{type(outcome.error).__name__}: {first_line}"[:300]
    return result


def _error_code(error: BaseException) -> str:
    if isinstance(error, SchemaBehind):
        return "schema"
    text = f"{type(error).__name__} {error}".lower()
    if isinstance(error, TimeoutError) or "timeout" in text or "timed out" in text:
        return "timeout"
    if isinstance(error, ConnectionError | OSError) or "connect" in text or "refused" in text:
        return "unreachable"
    return "failed"


def _log_change(app: Flask, name: str, result: dict) -> None:
    key = (id(app), name)
    previous = _last_status.get(key)
    _last_status[key] = result["status"]
    if previous == result["status"] or (previous is None and result["status"] == UP):
        return
    if result["status"] == DOWN:
        log.warning("readiness: %s (%s) is down: %s", name, result["backend"], result.get("detail"))
    else:
        log.info("readiness: %s (%s) is up again", name, result["backend"])


class SchemaBehind(Exception):
    """The database's schema is older than this code's migrations (`flask db upgrade` not run): every
    request would fail on a missing table or column."""


def needs_current_schema(command: Callable) -> Callable:
    """A `flask` command that reads or writes the data (not `db`, `backup`, `restore`): on a database whose
    schema is behind this code's migrations (or has none) it stops before doing anything, with the one line
    SchemaBehind says and exit status 1, where it failed halfway with a traceback (or, the job consumer,
    failed every job)."""
    import click
    from flask import current_app

    @functools.wraps(command)
    def checked(*args, **kwargs):
        app = current_app._get_current_object()
        try:
            with app.extensions["sqlalchemy"].engines[None].connect() as connection:
                _check_schema(connection, app.extensions["migrate"].directory)
        except SchemaBehind as error:
            raise click.ClickException(f"{error}, then run this command again.") from None
        return command(*args, **kwargs)
    return checked


def _database_probe(app: Flask) -> Callable[[], None]:
    def probe() -> None:
        engine = app.extensions["sqlalchemy"].engines[None]
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
            _check_schema(connection, app.extensions["migrate"].directory)
    return probe


def _check_schema(connection, migrations: str) -> None:
    """Raises SchemaBehind unless the database is at this code's latest migration or past it: a revision
    the code does not know is a newer release's, which the old instances of a rolling upgrade run on."""
    from alembic.util import CommandError

    script = _migrations(migrations)
    if not connection.dialect.has_table(connection, "alembic_version"):
        raise SchemaBehind("the database has no schema: run `flask db upgrade`")
    current = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    head = script.get_current_head()
    if current == head:
        return
    try:
        script.get_revision(current)
    except CommandError:  # "Can't locate revision"
        return  # newer than this code
    raise SchemaBehind(f"the database's schema is at {current or 'no revision'}, this code needs {head}: "
                       "run `flask db upgrade`")


@functools.cache
def _migrations(directory: str):
    from alembic.script import ScriptDirectory

    return ScriptDirectory(directory)


def _redis_ping(url: str, timeout: float) -> Callable[[], None]:
    def probe() -> None:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                      retry_on_timeout=False)
        try:
            client.ping()
        finally:
            client.close()
    return probe


def _message_queue_check(config) -> Check:
    url = config["SOCKETIO_MESSAGE_QUEUE"]
    if not url:
        return Check("message_queue", "in-process", lambda: None)
    return Check("message_queue", "redis", _redis_ping(url, config["READINESS_TIMEOUT_SECONDS"]))


def _jobs_check(app: Flask) -> Check:
    config = app.config
    if config["JOBS_REDIS_URL"]:
        return Check("jobs", "redis", _redis_ping(config["JOBS_REDIS_URL"], config["READINESS_TIMEOUT_SECONDS"]))

    path = app.extensions["jobs"].huey.storage.filename

    def probe() -> None:
        # A new connection to the file, as the job consumer opens one, reading Huey's table: a file
        # removed or replaced under a running process fails here (its open connection would not).
        connection = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=config["READINESS_TIMEOUT_SECONDS"])
        try:
            connection.execute("SELECT count(*) FROM task").fetchone()
        finally:
            connection.close()
    return Check("jobs", "sqlite", probe)


def _storage_check(config) -> Check:
    if config["STORAGE_BACKEND"] == "s3":
        return Check("storage", "s3", _s3_probe(config))
    folder = str(config["STORAGE_LOCAL_PATH"])

    def probe() -> None:
        # As an upload would: make the folder if needed, write a file, remove it. A read-only,
        # full or vanished mount fails here.
        os.makedirs(folder, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".readiness-"):
            pass
    return Check("storage", "local", probe)


_s3_clients: dict[tuple, object] = {}
_s3_clients_lock = threading.Lock()


def _s3_probe(config) -> Callable[[], None]:
    timeout = config["READINESS_TIMEOUT_SECONDS"]
    settings = (config.get("S3_REGION") or None, config.get("S3_ENDPOINT_URL") or None, timeout)

    def probe() -> None:
        _s3_client(settings).head_bucket(Bucket=config["S3_BUCKET"])
    return probe


def _s3_client(settings: tuple):
    """One client per settings, kept: making one takes tens of milliseconds of CPU, a probe's worth
    many times over. Its own short timeouts and a single attempt (the storage's client retries)."""
    with _s3_clients_lock:
        if settings not in _s3_clients:
            import boto3
            from botocore.config import Config

            region, endpoint, timeout = settings
            _s3_clients[settings] = boto3.client(
                "s3", region_name=region, endpoint_url=endpoint,
                config=Config(connect_timeout=timeout, read_timeout=timeout,
                              retries={"max_attempts": 1, "mode": "standard"},
                              s3={"addressing_style": "path" if endpoint else "auto"}))  # as storage.s3 does
        return _s3_clients[settings]
