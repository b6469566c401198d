"""Many messages into existing conversations, fast, as the chat itself would have stored them
(issue 15: history and resync at 1,000,000 messages). Used by bench/history.py and by
tests/test_query_plans.py.

The conversations and their members exist already (made through the API or the actions): this
only adds messages, in chunks that alternate between the conversations (so their ids interleave
as they would in a busy service), with every invariant the app relies on:
- per conversation, `seq` and (for messages never changed since) `revision` continue the
  conversation's counters with no gap, and ids ascend with seq;
- every `changed_every`-th message was edited, deleted or hidden afterwards: it carries one of the
  revisions after the last creation (as `record_message_change_unchecked` gives them), so a resync
  finds it out of seq order; every `system_every`-th is a system message (no sender);
- every `mention_every`-th message of others mentions `mentioned_user_id` (`message_mentions`);
- the conversation's `last_seq`, `last_revision` and `last_message_at` follow; the senders' read
  and delivered positions move to the end (sending reads what came before, actions.receipts), the
  other members' stay where they were: far back, unread;
- SQLite: the search index's triggers (migration 0004) index every body as it is inserted;
  PostgreSQL: rows go in with COPY, the id sequence moves past them, and the tables are ANALYZEd
  (what autovacuum would do after such a load).
"""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import DateTime, Engine, bindparam, text

WORDS = ("lunch", "deploy", "meeting", "review", "coffee", "release", "budget", "train", "weekend", "ticket",
         "design", "report", "holiday", "server", "invoice", "garden")
COLUMNS = ("id", "conversation_id", "sender_id", "kind", "body", "client_id", "seq", "revision", "created_at",
           "edited_at", "deleted_at", "hidden_at", "mentions_all")


@dataclass(frozen=True)
class Plan:
    """`count` more messages into `conversation_id`, written in turn by `sender_ids`."""

    conversation_id: int
    count: int
    sender_ids: tuple[int, ...]
    mentioned_user_id: int | None = None


@dataclass(frozen=True)
class Seeded:
    conversation_id: int
    first_id: int  # of the messages added
    last_seq: int
    last_revision: int
    changed: int  # messages edited, deleted or hidden after they were sent


@dataclass
class _Cursor:
    plan: Plan
    next_id: int
    first_id: int
    seq: int  # the conversation's last_seq so far
    revision: int  # its revision of the next creation
    changed: list[int]  # seqs of the messages changed afterwards
    written: int = 0


def seed(engine: Engine, plans: list[Plan], *, chunk: int = 20_000, changed_every: int = 400,
         system_every: int = 250, mention_every: int = 2_000, start: datetime | None = None) -> list[Seeded]:
    """Add the planned messages; the numbers each conversation ends with."""
    start = start or datetime(2024, 1, 1)
    with engine.begin() as connection:
        next_id = connection.execute(text("SELECT coalesce(max(id), 0) + 1 FROM messages")).scalar_one()
        cursors = []
        for plan in plans:
            seq, revision = connection.execute(text("SELECT last_seq, last_revision FROM conversations WHERE id = :id"),
                                               {"id": plan.conversation_id}).one()
            cursors.append(_Cursor(plan, next_id=0, first_id=0, seq=seq, revision=revision + 1, changed=[]))
    postgres = engine.dialect.name == "postgresql"
    while any(cursor.written < cursor.plan.count for cursor in cursors):
        for cursor in cursors:
            size = min(chunk, cursor.plan.count - cursor.written)
            if size <= 0:
                continue
            cursor.next_id = next_id
            if cursor.written == 0:
                cursor.first_id = next_id
            rows = list(_rows(cursor, size, changed_every, system_every, start))
            mentions = [(row[0], cursor.plan.mentioned_user_id) for row in rows
                        if cursor.plan.mentioned_user_id and row[6] % mention_every == mention_every - 1
                        and row[2] not in (None, cursor.plan.mentioned_user_id)]
            _insert(engine, rows, mentions, postgres)
            next_id += size
            cursor.written += size
    results = [_finish(engine, cursor, start) for cursor in cursors]
    if postgres:
        with engine.begin() as connection:
            connection.execute(text("SELECT setval(pg_get_serial_sequence('messages', 'id'), "
                                    "(SELECT max(id) FROM messages))"))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE messages; ANALYZE message_mentions; ANALYZE memberships; "
                                    "ANALYZE conversations"))
    return results


def _rows(cursor: _Cursor, size: int, changed_every: int, system_every: int, start: datetime) -> Iterator[tuple]:
    senders = itertools.cycle(cursor.plan.sender_ids)
    for offset in range(size):
        cursor.seq += 1
        seq = cursor.seq
        system = seq % system_every == 0
        sender = None if system else next(senders)
        created = start + timedelta(seconds=seq)
        change = seq % changed_every == 0 and not system
        edited = deleted = hidden = None
        if change:  # edited, then deleted, then hidden, in turn; its revision comes after every creation
            cursor.changed.append(seq)
            moment = created + timedelta(minutes=5)
            edited, deleted, hidden = [(moment if index == len(cursor.changed) % 3 else None) for index in range(3)]
        revision = 0 if change else cursor.revision  # a change's revision is given in _finish
        cursor.revision += 1
        body = (f"{'[system] ' if system else ''}message {seq}: {WORDS[seq % len(WORDS)]} "
                f"{WORDS[(seq // 7) % len(WORDS)]} {WORDS[(seq // 49) % len(WORDS)]}")
        yield (cursor.next_id + offset, cursor.plan.conversation_id, sender, "system" if system else "text", body,
               None, seq, revision, created, edited, deleted, hidden, False)


def _insert(engine: Engine, rows: list[tuple], mentions: list[tuple], postgres: bool) -> None:
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        if postgres:
            with cursor.copy(f"COPY messages ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            if mentions:
                with cursor.copy("COPY message_mentions (message_id, user_id) FROM STDIN") as copy:
                    for row in mentions:
                        copy.write_row(row)
        else:  # the search index's triggers fire for each row
            cursor.executemany(f"INSERT INTO messages ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                               [(*row[:8], *map(_sqlite_time, row[8:12]), 0) for row in rows])
            cursor.executemany("INSERT INTO message_mentions (message_id, user_id) VALUES (?, ?)", mentions)
        cursor.close()
        connection.commit()
    finally:
        connection.close()


def _sqlite_time(moment: datetime | None) -> str | None:
    """As SQLAlchemy stores a DateTime in SQLite (microseconds always written)."""
    return None if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _finish(engine: Engine, cursor: _Cursor, start: datetime) -> Seeded:
    """The changed messages' revisions (after every creation), the conversation's counters, the senders' positions."""
    conversation_id, revision = cursor.plan.conversation_id, cursor.revision - 1
    with engine.begin() as connection:
        if cursor.changed:
            connection.execute(
                text("UPDATE messages SET revision = :revision WHERE conversation_id = :conversation AND seq = :seq"),
                [{"revision": revision + number, "conversation": conversation_id, "seq": seq}
                 for number, seq in enumerate(cursor.changed, 1)])
        last_revision = revision + len(cursor.changed)
        last_message_at = start + timedelta(seconds=cursor.seq)
        connection.execute(text("UPDATE conversations SET last_seq = :seq, last_revision = :revision, "
                                "last_message_at = :at WHERE id = :id").bindparams(bindparam("at", type_=DateTime)),
                           {"seq": cursor.seq, "revision": last_revision, "at": last_message_at, "id": conversation_id})
        connection.execute(text("UPDATE memberships SET last_read_seq = :seq, last_delivered_seq = :seq "
                                "WHERE conversation_id = :id AND user_id IN :senders")
                           .bindparams(bindparam("senders", expanding=True)),
                           {"seq": cursor.seq, "id": conversation_id, "senders": list(cursor.plan.sender_ids)})
    return Seeded(conversation_id, cursor.first_id, cursor.seq, last_revision, len(cursor.changed))
