"""Long reads on SQLite run on a native thread, so the event loop serves everyone else meanwhile.

Python's sqlite3 runs a statement in the calling thread; under gunicorn's gevent worker that is the one
thread of the loop, so a statement that reads for a second (a search whose words are in most messages,
a back-office list counted over a million messages) held up every request and socket of the worker
for that second. A statement marked `long_read(statement)` is executed and fetched whole
on offload.py's pool of native threads instead (sqlite3 lets go of the GIL while SQLite works), on the
same connection, while the greenlet that asked for it waits without blocking the loop; its rows then
come from the buffer, as if read in place. Nothing else changes: the same connection and transaction,
the same result. The pool is its own (offload.py's "reads", one thread): a long search never waits for
a password being hashed, nor a login for a search.

Only reads that may be long are marked: handing a statement to a thread costs tens of microseconds. On a
server database (psycopg waits for the server cooperatively) the mark changes nothing. When the pool's
line is full the read runs in place, as before, rather than be refused.
"""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.cursor import FullyBufferedCursorFetchStrategy
from sqlalchemy.sql import Executable

from offload import ServerBusy, run_off_loop

LONG_READ = "long_read"  # the execution option that marks a statement
# offload.py's pool of their own: one thread (long reads of a worker take at most a core between them),
# and a short line, each caller in it holding a database connection; past it a read runs in place.
POOL, POOL_THREADS, POOL_WAITING = "reads", 1, 4


def long_read(statement: Executable) -> Executable:
    """`statement` (Core, ORM select or ORM Query) marked as a read that may be long."""
    return statement.execution_options(**{LONG_READ: True})


def read_long_statements_off_loop(engine: Engine) -> None:
    """SQLite: statements marked LONG_READ run on the pool of native threads (set up once per engine)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "do_execute")
    def _off_loop(cursor, statement, parameters, context):
        if not context.execution_options.get(LONG_READ):
            return False  # SQLAlchemy executes it in place, as every other statement
        try:
            # Killed while waiting: SQLite is interrupted, and the kill goes on once the thread has let go of
            # the connection (SQLAlchemy then closes it: closed under a running read, the process crashed).
            rows = run_off_loop(_execute_and_fetch, cursor, statement, parameters, threads=POOL_THREADS,
                                waiting=POOL_WAITING, pool_name=POOL, stop=cursor.connection.interrupt)
        except ServerBusy:
            return False
        context.cursor_fetch_strategy = FullyBufferedCursorFetchStrategy(cursor, initial_buffer=rows)
        return True


def _execute_and_fetch(cursor, statement: str, parameters) -> list:
    """On the pool's thread: the whole read, every row of it."""
    cursor.execute(statement, parameters)
    return cursor.fetchall()
