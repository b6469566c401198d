"""Engine settings: SQLite made fit for a chat service (WAL, short waits, FK checks, savepoints that
stay inside their transaction), a server database's pooled connections checked before use only once
they have sat idle; SQL helpers shared by every query."""
import itertools
import sqlite3
import time

from sqlalchemy import event, exc, types
from sqlalchemy.engine import Engine

# How long a write waits for SQLite's write lock held elsewhere before its unit fails (503 unavailable):
# in begin_writing, giving the loop back between tries, which every write transaction opens with
# (_lock_first); and as busy_timeout, SQLite's own wait inside the driver, for anything else that waits.
LOCK_WAIT_SECONDS = 5.0
BUSY_TIMEOUT_MS = int(LOCK_WAIT_SECONDS * 1000)
_LOCK_PAUSES = (0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.025, 0.025, 0.025, 0.05, 0.05, 0.1)  # SQLite's own

# Every LIKE built from what someone typed escapes its wildcards with this, so that `%` and `_`
# in a search match themselves: `column.ilike(contains_pattern(text), escape=LIKE_ESCAPE)`.
LIKE_ESCAPE = "\\"


def escape_like(text: str) -> str:
    """`text` as literal LIKE text: its `%`, `_` and escape characters match themselves."""
    return text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")


def contains_pattern(text: str) -> str:
    """The LIKE pattern of "contains `text`", to use with escape=LIKE_ESCAPE."""
    return f"%{escape_like(text)}%"


def configure_engine_events(engine: Engine, ping_after_idle_seconds: float) -> None:
    if engine.dialect.name != "sqlite":
        ping_when_idle(engine, ping_after_idle_seconds)
        bind_integers_as_they_are(engine)
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()
        # SQLite's lower(), which its ILIKE is built on (lower(x) LIKE lower(y)), folds ASCII letters only:
        # "CAFÉ" did not find the group "Café", nor "привет" the person "Привет". Python's, as PostgreSQL's
        # under a UTF-8 ctype. No index or constraint uses lower(); the message search does not either.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)

    @event.listens_for(engine, "savepoint")
    def _begin_before_savepoint(connection, _name):
        # Python's sqlite3 opens a transaction only before a write. A SAVEPOINT issued
        # before any write would open one of its own, and releasing it would COMMIT the
        # unit of work halfway through: open the real transaction first. IMMEDIATE, with the
        # write lock (waited for up to busy_timeout): the reads that follow in a deferred
        # transaction would pin a snapshot, and once another connection committed meanwhile
        # the unit's first write would fail at once with "database is locked" (SQLite does not
        # wait for a snapshot that is already stale).
        begin_writing(connection)

    @event.listens_for(engine, "before_cursor_execute")
    def _lock_first(connection, _cursor, _statement, _parameters, context, _executemany):
        # A write outside any transaction would open one in the driver and wait for the lock in SQLite's
        # own wait: open it here, waiting as begin_writing waits. Every write is a Core or ORM statement.
        if context is not None and (context.isinsert or context.isupdate or context.isdelete):
            begin_writing(connection)


def _unicode_lower(value):
    """SQL lower() in every script; NULL stays NULL, and what is not text (a number, a blob) as it is."""
    return value.lower() if isinstance(value, str) else value


class _IntegerBoundAsItIs(types.Integer):
    render_bind_cast = False


def bind_integers_as_they_are(engine: Engine) -> None:
    """PostgreSQL: SQLAlchemy's psycopg dialect casts each integer parameter to its column's type
    (`$1::INTEGER`), so a number the protocol accepts (within ±(2^53−1)) but a 32-bit column cannot
    hold failed the cast: an id that names nothing, a `before` past every message, was a 500. Without
    the cast psycopg sends each integer as the smallest type that holds it (smallint, integer, bigint),
    as psycopg2 sent literals: PostgreSQL compares them with the 32-bit columns by its cross-type
    operators (the same index operator family: the indexes serve as before), an id past 2^31−1 simply
    names nothing, and a value written into a 32-bit column still has to fit it."""
    engine.dialect.colspecs = {**engine.dialect.colspecs, types.Integer: _IntegerBoundAsItIs}


IDLE_SINCE = "idle_since"  # in a pooled connection's record: when it was last given back (time.monotonic)


def ping_when_idle(engine: Engine, seconds: float) -> None:
    """Check a pooled connection with a `SELECT 1` when it is taken after sitting idle at least
    `seconds` (DATABASE_PING_AFTER_IDLE_SECONDS), as PgBouncer's server_check_delay and HikariCP do;
    a connection given back just now is used at once. SQLAlchemy's `pool_pre_ping` pings at every
    checkout: a round trip in front of every request and socket event (issue 15 measured it at about
    4% of a stored message's worker CPU on PostgreSQL).

    What this trades: a connection that the server dropped within the last `seconds` (a restart) is
    found dead by the unit's first statement instead, which fails as `unavailable` (retryable); that
    failure, like a failed ping, makes the pool replace every connection opened before it, so a
    restart costs each process about one more refused request. Connections that sat idle longer (a
    firewall's or the server's idle timeout) are pinged and replaced before use, as before."""

    @event.listens_for(engine, "connect")
    def _opened(_dbapi_connection, record):
        record.info.pop(IDLE_SINCE, None)  # a new connection: nothing to check

    @event.listens_for(engine, "checkin")
    def _given_back(_dbapi_connection, record):
        record.info[IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _taken(dbapi_connection, record, _proxy):
        idle_since = record.info.get(IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < seconds:
            return
        dialect = engine.dialect
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            # The pool opens a new connection in its place (and, if the server went away, replaces
            # every connection opened before now), as it does after a failed pre-ping.
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.InvalidatePoolError(str(error)) from error
            raise exc.DisconnectionError(str(error)) from error


def begin_writing(connection) -> None:
    """SQLite: open the transaction with the write lock now (`BEGIN IMMEDIATE`) if none is open, so that
    what is read next stays true until the COMMIT: read outside a transaction (Python's sqlite3 opens one
    only at the first write), it could be changed by another connection or process (the job consumer)
    before this one writes. Nothing to do on a server database, whose statements lock what they need
    (`SELECT … FOR UPDATE`).

    The lock held elsewhere is waited for here, up to LOCK_WAIT_SECONDS, between tries that never block
    (busy_timeout 0 for them): SQLite's own wait (busy_timeout) sleeps inside the driver's call, which
    under gevent stops the worker's one loop, every socket and request with it, and with them the holder
    of the lock if it is a request of the same worker (one waiting on its client, its storage, a password
    hash in the thread pool): then nothing moved until the wait gave up. Here each pause is `time.sleep`,
    which gevent makes a pause of this greenlet only. Where no loop runs (the CLI, a thread) it is a sleep."""
    if connection.dialect.name != "sqlite":
        return
    dbapi_connection = connection.connection.dbapi_connection
    if not dbapi_connection.in_transaction:
        # On the driver's connection, so SQLAlchemy does not wrap its errors: wrapped here as it wraps its own
        # statements', the lock held elsewhere past the wait is an outage (blueprints/faults.py: 503).
        try:
            _begin_immediate(dbapi_connection)
        except sqlite3.Error as error:
            raise exc.DBAPIError.instance("BEGIN IMMEDIATE", None, error, sqlite3.Error) from error


def _begin_immediate(dbapi_connection) -> None:
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        for pause in itertools.chain(_LOCK_PAUSES, itertools.repeat(_LOCK_PAUSES[-1])):
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def begin_snapshot(connection) -> None:
    """SQLite: open a deferred transaction if none is open, so that the reads that follow see one
    snapshot (Python's sqlite3 runs reads outside any transaction until the first write). Only for
    reads: a write after them fails at once if another connection committed meanwhile."""
    dbapi_connection = connection.connection.dbapi_connection
    if not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN")


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` says the database cannot be reached now (a restart, a cut connection, every
    pooled connection taken past the pool's timeout), not that the statement was wrong: the caller
    may retry the same request (docs/protocol.md, `unavailable`)."""
    if isinstance(error, exc.TimeoutError | exc.DisconnectionError):  # the pool: exhausted, or a dead connection
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if isinstance(error, exc.InterfaceError):
        return True
    if isinstance(error, exc.OperationalError):
        # SQLite reports mistakes ("no such table") as OperationalError too: only a locked or
        # unreadable file is the database being unavailable there.
        if type(error.orig).__module__.startswith("sqlite3"):
            text = str(error.orig).lower()
            return "locked" in text or "unable to open" in text or "disk i/o" in text
        # PostgreSQL: a connection lost or refused, the server out of resources or shutting down, a
        # deadlock or a lock not granted: worth a retry. Not a statement past a limit of the server
        # (SQLSTATE class 54, "program limit exceeded": an index row too large), which fails again
        # however often it is retried.
        return not (getattr(error.orig, "sqlstate", None) or "").startswith("54")
    return False


def insert_unless_exists(model, unique_column: str, **values) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING on one unique column: the new row's id, or None if it existed.

    For rows that two requests may create at once (a direct chat, a notices conversation):
    the loser finds the winner's row instead of failing its whole unit of work."""
    from sqlalchemy.dialects import postgresql, sqlite

    from extensions import db

    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (insert(model.__table__).values(**values).on_conflict_do_nothing(index_elements=[unique_column])
                 .returning(model.__table__.c.id))
    return db.session.execute(statement).scalar_one_or_none()
