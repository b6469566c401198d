"""The unit of work: one transaction per request, and events that leave only after it commits.

A transport owns the transaction: the HTTP request (app.register_unit_of_work), the socket
event (blueprints.chat.socket_support), the CLI command and the job each run their work in
`atomic()`, which commits once at the end or rolls back. Actions never commit: they are
`atomic()` too, which joins the open unit (or, called on their own, from a shell or a test,
opens and commits one), and they `queue_event(fact)` and `on_commit(callback)`.
A unit that opens first takes a place at the gate in front of the database (events.admission:
at most DATABASE_UNITS_AT_ONCE at once, the others wait in line) and gives it back when it ends.

At commit the queued facts are handed to the dispatcher twice: `prepare` just before the
COMMIT, while the transaction is still open (adapters render their frames from the rows
as committed, with no reload afterwards), and `deliver` once it has committed. A rollback
discards them, a savepoint's rollback discards those queued inside it. While a transport
holds events (`HeldEvents`), delivery waits until it has answered: a socket event's ack
and an HTTP response go out before anyone else hears of the change.
"""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from flask import current_app
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session, SessionTransaction, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict, set_committed_value
from sqlalchemy.sql.base import Executable

from events.admission import enter_unit, leave_unit
from events.facts import Fact, MessageChanged, MessageCreated
from extensions import db
from models.database import begin_snapshot

DEPTH = "switchboard.unit_depth"
PENDING = "switchboard.pending_events"
CALLBACKS = "switchboard.on_commit"
ROLLBACKS = "switchboard.on_rollback"
COMMITTING = "switchboard.committing"
PREPARED = "switchboard.prepared_events"
SAVEPOINTS = "switchboard.savepoint_marks"
KEPT = "switchboard.kept_rows"
WRITTEN = "switchboard.rows_written"
NOTED = "switchboard.noted_in_any_case"
log = logging.getLogger(__name__)


def queue_event(fact: Fact) -> None:
    """Publish `fact` once the current transaction commits (never, if it rolls back)."""
    db.session.info.setdefault(PENDING, []).append(fact)


def on_commit(callback: Callable[[], object]) -> None:
    """Run `callback` once the current transaction commits (e.g. enqueue a job)."""
    db.session.info.setdefault(CALLBACKS, []).append(callback)


def on_rollback(callback: Callable[[], object]) -> None:
    """Run `callback` if the current transaction rolls back (a savepoint's: if that savepoint does),
    never if it commits, nor if its COMMIT fails (the database may have made it: `_discard`): the
    undoing of what was written outside the database (outside_the_database)."""
    db.session.info.setdefault(ROLLBACKS, []).append(callback)


def note_in_any_case(statement: Executable, params: dict) -> None:
    """Write bookkeeping that stands whatever becomes of the unit (a token's last use): in the unit's
    transaction, and again in a transaction of its own once that one is rolled back (a refused request,
    the wait on a client of outside_the_database), or a client whose requests are all refused would note
    its use again at each, a write every time (on SQLite the one write lock). Only a statement that can
    be made twice (an UPDATE to a value): nothing else of the unit is in its transaction."""
    db.session.execute(statement, params)
    db.session.info.setdefault(NOTED, []).append((statement, params))


def keep_until_commit(row: object) -> None:
    """Hold `row` in the session until the unit ends: the adapters render the facts from the rows
    (`prepare`), and the identity map holds rows weakly, so a row the action made and let go of
    (a message just stored) would be read again, with its relationships, to be rendered."""
    db.session.info.setdefault(KEPT, []).append(row)


def new_as_written(model: type, values: dict, empty: tuple[str, ...] = ()) -> object:
    """A row of `model` that a Core INSERT just wrote (`values`: every column, its primary key among
    them), in the session as the row it is: persistent, nothing to flush, its collections named in
    `empty` loaded and empty. Built as a query loads a row, not by the ORM's constructor, whose
    attribute events cost a send about 30 µs (issue 15: docs/benchmarks.md). A rollback of the
    savepoint or unit it was written in takes it out of the session again, as the ORM does with the
    rows it inserts itself (a later row may get its id: SQLite gives a rolled-back rowid again)."""
    row = model.__mapper__.class_manager.new_instance()
    instance_dict(row).update(values)
    for collection in empty:
        set_committed_value(row, collection, [])
    make_transient_to_detached(row)
    db.session.add(row)
    db.session.info.setdefault(WRITTEN, []).append((row, True))
    return row


def set_as_written(row: object, **values: object) -> None:
    """`row`'s attributes as a Core UPDATE just wrote them (nothing for the ORM to flush); a rollback of
    the savepoint or unit they were written in expires the row, as the ORM does with rows it updated."""
    for name, value in values.items():
        set_committed_value(row, name, value)
    db.session.info.setdefault(WRITTEN, []).append((row, False))


def pending_events() -> list[Fact]:
    """Facts queued in the open transaction (tests and adapters look, never take)."""
    return list(db.session.info.get(PENDING, ()))


@contextlib.contextmanager
def atomic() -> Iterator[None]:
    """Join the open unit of work, or open one: commit at the end, roll back on any error."""
    session = db.session()
    if session.info.get(DEPTH):
        session.info[DEPTH] += 1
        try:
            yield
        finally:
            session.info[DEPTH] -= 1
        return
    enter_unit()  # in line behind the units using the database (events.admission), before any work
    session.info[DEPTH] = 1
    try:
        yield
        session.commit()
    except BaseException as error:
        _roll_back(session, note_again=isinstance(error, Exception))
        raise
    finally:
        session.info[DEPTH] = 0
        leave_unit()


@contextlib.contextmanager
def connection_for_a_read() -> Iterator[Connection]:
    """A pooled connection for a read that needs no unit of work: no ORM session, nothing written, no
    facts, nothing to commit. It waits at the gate as a unit does (events.admission) and is given back
    at the end (rolled back). For the hottest single statements only: a token socket's connect reads
    its token, user and rooms in one (actions.accounts.live_token_holder), where a unit's session, its
    transaction and its empty COMMIT cost more than the statement (issue 15, connects)."""
    enter_unit()
    try:
        with db.engine.connect() as connection:
            yield connection
    finally:
        leave_unit()


def begin_unit() -> None:
    """Open a unit of work that a later `finish_unit` ends (for request hooks)."""
    session = db.session()
    enter_unit()
    session.info[DEPTH] = 1


def finish_unit(commit: bool) -> None:
    session = db.session()
    try:
        if commit:
            try:
                session.commit()
            except BaseException as error:
                _roll_back(session, note_again=isinstance(error, Exception))
                raise
        else:
            _roll_back(session)
    finally:
        session.info[DEPTH] = 0
        leave_unit()


def _roll_back(session: Session, note_again: bool = True) -> None:
    """End the unit rolled back. What was written outside the database is taken back by the rollback's
    hook (`_discard`), or here when the unit had no transaction open to roll back (its last work was
    outside the database). What was noted in any case is written again (not when the unit is being
    killed: `note_again` False)."""
    noted = session.info.pop(NOTED, None)
    try:
        session.rollback()
    finally:
        _run_rollbacks(session.info.pop(ROLLBACKS, None) or [])
    if noted and note_again:
        _note_again(session, noted)


def _note_again(session: Session, noted: list[tuple[Executable, dict]]) -> None:
    """Write what note_in_any_case noted in a transaction that was rolled back, in one of its own.
    Bookkeeping: if the database cannot take it now, it is noted at the next use."""
    try:
        for statement, params in noted:
            session.execute(statement, params)
        session.commit()
    except Exception as error:  # noqa: BLE001  (the unit's own answer stands)
        session.rollback()
        log.info("bookkeeping of a rolled-back unit not written (%s)", type(error).__name__)


def in_unit() -> bool:
    """Whether a unit of work is open; asking makes no session (a probe or a static file has none)."""
    registry = db.session.registry
    return registry.has() and bool(registry().info.get(DEPTH))


class WrittenOutside:
    """What a unit wrote outside the database (a file's bytes in storage), and how to take it back."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], object]] = []

    def undo_with(self, callback: Callable[[], object]) -> None:
        self._undo.append(callback)

    def take_back(self) -> None:
        _run_rollbacks(self._undo)  # as a rollback runs its callbacks: the latest first, a failure logged

    def __bool__(self) -> bool:
        return bool(self._undo)


@contextlib.contextmanager
def outside_the_database() -> Iterator[WrittenOutside]:
    """Wait on a client (an upload's body, at the client's pace) holding neither a connection nor a
    place at the gate (events.admission): a few slow uploads would otherwise keep every other
    request of the process from the database. The unit's transaction so far ends, rolled back: only
    reads and bookkeeping may precede this (a token's last use: note_in_any_case writes it again), so
    that a request refused later still changes nothing; a fact or callback already queued is a
    RuntimeError (a real change would be lost). Afterwards the unit goes on in a new transaction,
    its place at the gate taken again (in line: UnitsBusy past the bound).

    What the block writes meanwhile and names with `undo_with` (an object stored) is kept only if the
    unit commits: it is taken back at once if the block fails or the unit cannot go on (UnitsBusy, the
    worker stopping while in line), and when the unit rolls back later (a refusal, a failed COMMIT)."""
    session = db.session()
    if not session.info.get(DEPTH) or session.in_nested_transaction():
        raise RuntimeError("outside_the_database() needs a unit of work, outside any savepoint")
    if session.info.get(PENDING) or session.info.get(CALLBACKS) or session.info.get(ROLLBACKS):
        # (One wait on a client per unit: a second would roll back the first's record of what it wrote.)
        raise RuntimeError("outside_the_database() after an event, a callback or a write outside was queued: "
                           "the change would be lost")
    _roll_back(session)  # (no on_rollback callback is queued: checked above)
    leave_unit()
    written = WrittenOutside()
    try:
        try:
            yield written
        finally:
            enter_unit()
    except BaseException:
        written.take_back()
        raise
    if written:
        on_rollback(written.take_back)


@contextlib.contextmanager
def savepoint() -> Iterator[None]:
    """Run a part of the unit that may fail alone: its writes and its events go, the rest stays."""
    with db.session.begin_nested():
        yield


@contextlib.contextmanager
def reads_apart() -> Iterator[None]:
    """Reads that may fail alone (one of several answers). On PostgreSQL a savepoint, where a failed
    statement aborts the whole transaction; it is no snapshot: under READ COMMITTED each statement sees
    the database as it is when it starts (reads that must agree check it: actions.conversations
    _summaries). On SQLite, where a failed statement aborts nothing, and where a savepoint takes the
    write lock (models.database: a read-only event would queue behind every writer), a plain
    transaction for the reads to share, one snapshot (Python's sqlite3 reads outside one)."""
    session = db.session()
    if session.get_bind().dialect.name == "sqlite":
        begin_snapshot(session.connection())
        yield
        return
    with db.session.begin_nested():
        yield


# -- holding released events until the transport has answered ------------------------------

_holder: ContextVar[HeldEvents | None] = ContextVar("switchboard_held_events", default=None)


class HeldEvents:
    """Committed events kept back until `release()`; started and stopped by a transport."""

    def __init__(self) -> None:
        self._batches: list[PreparedBatch] = []

    def start(self) -> HeldEvents:
        _holder.set(self)
        return self

    def stop(self) -> None:
        if _holder.get() is self:
            _holder.set(None)

    def add(self, batch: PreparedBatch) -> None:
        self._batches.append(batch)

    def release(self) -> None:
        batches, self._batches = self._batches, []
        for batch in batches:
            batch.deliver()

    def __bool__(self) -> bool:
        return bool(self._batches)


class PreparedBatch:
    """One commit's facts, rendered by every adapter, waiting to be delivered. Its message
    revisions are held in the dispatcher's `unreleased` from before the COMMIT until they are
    delivered or rolled back (events.unreleased says why); `for_a_transport`: held until a
    transport has answered (`HeldEvents`), so held where other processes can see it too."""

    def __init__(self, dispatcher, prepared: list, facts: list[Fact], for_a_transport: bool = False) -> None:
        self._dispatcher = dispatcher
        self._prepared = prepared
        self._revisions = [(fact.conversation_id, fact.revision) for fact in facts
                           if isinstance(fact, MessageCreated | MessageChanged)]
        self._for_a_transport = for_a_transport
        dispatcher.unreleased.hold(self._revisions, for_a_transport)

    def deliver(self) -> None:
        try:
            self._dispatcher.deliver(self._prepared)
        finally:
            self.drop()

    def drop(self) -> None:
        self._dispatcher.unreleased.let_go(self._revisions, self._for_a_transport)


# -- session hooks ---------------------------------------------------------------------------

def install(session_class: type[Session]) -> None:
    """Attach the hooks to the session class Flask-SQLAlchemy uses (once per process)."""
    if getattr(session_class, "_switchboard_unit_of_work", False):
        return
    session_class._switchboard_unit_of_work = True
    event.listen(session_class, "before_commit", _prepare)
    event.listen(session_class, "after_commit", _release)
    event.listen(session_class, "after_transaction_create", _mark_savepoint)
    event.listen(session_class, "after_soft_rollback", _discard)


def _prepare(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint's release: the unit goes on
        return
    session.info[COMMITTING] = True  # from here a failure may follow a COMMIT the database made (_discard)
    facts = session.info.pop(PENDING, None)
    if facts:
        dispatcher = current_app.extensions["events"]
        session.flush()
        with _rows_kept(session):
            session.info[PREPARED] = PreparedBatch(dispatcher, dispatcher.prepare(facts), facts,
                                                   for_a_transport=_holder.get() is not None)


@contextlib.contextmanager
def _rows_kept(session: Session) -> Iterator[None]:
    """Rows one adapter reads stay in the session while the next ones render the same facts: its
    identity map holds rows weakly, and each adapter (Socket.IO, the gateway) would read them again."""
    kept: list[object] = []

    def keep(_session: Session, instance: object) -> None:
        kept.append(instance)

    event.listen(session, "loaded_as_persistent", keep)
    try:
        yield
    finally:
        event.remove(session, "loaded_as_persistent", keep)


def _release(session: Session) -> None:
    if session.in_nested_transaction():
        return
    batch = session.info.pop(PREPARED, None)
    callbacks = session.info.pop(CALLBACKS, None) or []
    session.info.pop(ROLLBACKS, None)
    session.info.pop(COMMITTING, None)
    session.info.pop(SAVEPOINTS, None)
    session.info.pop(KEPT, None)
    session.info.pop(WRITTEN, None)
    session.info.pop(NOTED, None)
    if batch is not None:
        holder = _holder.get()
        if holder is not None:
            holder.add(batch)
        else:
            batch.deliver()
    for callback in callbacks:
        callback()


def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        session.info.setdefault(SAVEPOINTS, {})[id(transaction)] = (
            len(session.info.get(PENDING, ())), len(session.info.get(CALLBACKS, ())),
            len(session.info.get(WRITTEN, ())), len(session.info.get(ROLLBACKS, ())))


def _discard(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.nested:
        mark = session.info.get(SAVEPOINTS, {}).pop(id(previous_transaction), None)
        if mark is not None:
            del session.info.setdefault(PENDING, [])[mark[0]:]
            del session.info.setdefault(CALLBACKS, [])[mark[1]:]
            written = session.info.setdefault(WRITTEN, [])
            _expunge(session, written[mark[2]:])
            del written[mark[2]:]
            rollbacks = session.info.setdefault(ROLLBACKS, [])
            undone, rollbacks[mark[3]:] = rollbacks[mark[3]:], []
            _run_rollbacks(undone)
        return
    if previous_transaction.parent is None:
        session.info.pop(NOTED, None)  # (a unit's own rollback took them first, to write them again)
        batch = session.info.pop(PREPARED, None)
        if batch is not None:  # the COMMIT failed after the batch was prepared
            batch.drop()
        _expunge(session, session.info.pop(WRITTEN, ()))
        for key in (PENDING, CALLBACKS, SAVEPOINTS, KEPT):
            session.info.pop(key, None)
        rollbacks = session.info.pop(ROLLBACKS, None) or []
        if session.info.pop(COMMITTING, False) and rollbacks:
            # The COMMIT failed, or its answer was lost after the database made it: what was written
            # outside may be recorded now, and an object its committed row names must not go. Kept: an
            # object no row names is unreachable, one a row names and that is gone would be lost.
            log.warning("a COMMIT failed after %d write(s) outside the database: kept", len(rollbacks))
        else:
            _run_rollbacks(rollbacks)


def _run_rollbacks(callbacks: list[Callable[[], object]]) -> None:
    for callback in reversed(callbacks):  # the latest first, as undoing goes
        try:
            callback()
        except Exception:  # noqa: BLE001  (a rollback hook must not raise: the unit's own error is the one)
            log.exception("an on_rollback callback failed")


def _expunge(session: Session, rows) -> None:
    """Rows written by Core statements and taken back: those inserted leave the session, those
    updated are read again when next asked."""
    for row, inserted in rows:
        if row in session:
            if inserted:
                session.expunge(row)
            else:
                session.expire(row)
