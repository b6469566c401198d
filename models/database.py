"""Engine settings that make SQLite fit for a chat service: WAL, short waits, FK checks,
and savepoints that stay inside their transaction; SQL helpers shared by every query."""
from sqlalchemy import event
from sqlalchemy.engine import Engine

# Every LIKE built from what someone typed escapes its wildcards with this, so that `%` and `_`
# in a search match themselves: `column.ilike(contains_pattern(text), escape=LIKE_ESCAPE)`.
LIKE_ESCAPE = "\\"


def escape_like(text: str) -> str:
    """`text` as literal LIKE text: its `%`, `_` and escape characters match themselves."""
    return text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")


def contains_pattern(text: str) -> str:
    """The LIKE pattern of "contains `text`", to use with escape=LIKE_ESCAPE."""
    return f"%{escape_like(text)}%"


def configure_engine_events(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "savepoint")
    def _begin_before_savepoint(connection, _name):
        # Python's sqlite3 opens a transaction only before a write. A SAVEPOINT issued
        # before any write would open one of its own, and releasing it would COMMIT the
        # unit of work halfway through: open the real transaction first.
        dbapi_connection = connection.connection.dbapi_connection
        if not dbapi_connection.in_transaction:
            dbapi_connection.execute("BEGIN")


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
