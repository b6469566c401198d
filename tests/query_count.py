"""Counting the SQL statements a piece of code sends (like Zulip's `queries_captured`)."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import event

from extensions import db


@contextlib.contextmanager
def statements() -> Iterator[list[str]]:
    """Every statement sent to the database inside the block, in order (savepoints and COMMIT too)."""
    seen: list[str] = []

    def record(_connection, _cursor, statement, _parameters, _context, _executemany):
        seen.append(" ".join(statement.split()))

    def record_commit(_connection):
        seen.append("COMMIT")

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine, "commit", record_commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
        event.remove(engine, "commit", record_commit)
