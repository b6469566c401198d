"""What batching the statements of concurrent sends could buy (issue 15, the send path): an upper bound,
not the product.

    .venv/bin/python bench/batched_store.py                     # SQLite in /dev/shm, batches of 16 and 64
    .venv/bin/python bench/batched_store.py --engines sqlite,postgresql --rounds 3

Today every `message:send` is a unit of work of its own: about nine statements through SQLAlchemy's ORM
session (who is asking, the membership with its conversation, SAVEPOINT, the numbering UPDATE … RETURNING,
the INSERT … RETURNING, RELEASE, the sender's read marker, the Web Push query, COMMIT). At saturation a
worker has dozens of sends waiting (16 senders with 4 in flight each in bench/send.py). This measures the
worker's CPU per stored message, on the real schema, of

- **one unit per send**: `actions.messages.send_message` in its own unit (`atomic()`), the sender read
  by primary key, as bench/send_loop.py does (adapters' `prepare` and `deliver` included);
- **batched**: the same sends, `--batch` at a time (each sender in a group of their own, as in
  bench/send.py), stored by one transaction on a Core connection: the senders in one SELECT, their
  memberships with their conversations in one, one numbering `UPDATE … RETURNING` per conversation,
  one multi-row `INSERT … RETURNING`, the read markers in one executemany, one Web Push query, one
  COMMIT; then each message's payload built and encoded as JSON, as its ack and frame would be.

The batched side leaves out what a real batcher must still do per send (validation, the send rate,
retries found by their `client_id`, refusals, the holds of promise 2, the adapters' frames), so its
figure is a floor: what the statements and the unit of work cost when shared. Printed: µs per message
per round, medians, and batched / one unit per send.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build_app(engine: str, folder: Path, senders: int):
    from extensions import db
    from tests.database_apps import build_migrated_sqlite, sqlite_copy, testing_app
    from tests.factories import make_group, make_user

    if engine == "sqlite":
        app = testing_app(sqlite_copy(build_migrated_sqlite(folder), folder), folder, {})
        server = None
    else:
        from flask_migrate import upgrade

        from config import normalize_database_url
        from tests.engines import PostgresServer
        server = PostgresServer().start()
        app = testing_app(normalize_database_url(server.url), folder, {})
        with app.app_context():
            upgrade()
    with app.app_context():
        pairs = []
        for number in range(senders):
            sender, other = make_user(f"sender{number}"), make_user(f"other{number}")
            pairs.append((sender.id, make_group(sender, f"Group {number}", [other]).id))
        db.session.commit()
        db.session.remove()
    return app, pairs, server


def one_unit_per_send(app, pairs, count: int, start: int) -> None:
    from actions.messages import send_message
    from events.unit_of_work import atomic
    from extensions import db
    from models import User

    for number in range(start, start + count):
        sender_id, group_id = pairs[number % len(pairs)]
        with app.app_context():
            with atomic():
                sender = db.session.get(User, sender_id)
                send_message(sender, group_id, "a stored message, about a short chat line",
                             client_id=f"c{number}", admitted=True)
            db.session.remove()


class Batched:
    """The statements of a batch of sends, built once, run on one Core connection in one transaction."""

    def __init__(self) -> None:
        from sqlalchemy import bindparam, insert, select, tuple_, update

        from actions.messages import MESSAGE_COLUMNS
        from models import Conversation, Membership, Message, PushSubscription, User

        users, memberships = User.__table__, Membership.__table__
        conversations, messages = Conversation.__table__, Message.__table__
        self.columns = MESSAGE_COLUMNS
        self.senders = select(users.c.id, users.c.active, users.c.display_name).where(
            users.c.id.in_(bindparam("ids", expanding=True)))
        self.memberships = (
            select(memberships.c.id, memberships.c.user_id, memberships.c.conversation_id,
                   conversations.c.kind, conversations.c.archived_at)
            .join_from(memberships, conversations, conversations.c.id == memberships.c.conversation_id)
            .where(tuple_(memberships.c.user_id, memberships.c.conversation_id).in_(
                bindparam("pairs", expanding=True))))
        # One conversation's next seq and revision, taken and returned by one statement under its row lock
        # (what the send path did until 0f02f30; a batch numbers each conversation this way).
        self.numbering = (update(conversations).where(conversations.c.id == bindparam("conversation_id"))
                          .values(last_seq=conversations.c.last_seq + 1,
                                  last_revision=conversations.c.last_revision + 1,
                                  last_message_at=bindparam("now", type_=conversations.c.last_message_at.type))
                          .returning(conversations.c.last_seq, conversations.c.last_revision))
        self.insert = insert(messages).returning(messages.c.id, sort_by_parameter_order=True)
        self.read_own = (update(memberships).where(memberships.c.id == bindparam("membership_id"))
                         .values(last_read_seq=bindparam("read"), last_delivered_seq=bindparam("delivered")))
        self.push = (select(PushSubscription.__table__.c.id, memberships.c.conversation_id)
                     .join_from(memberships, PushSubscription.__table__,
                                PushSubscription.__table__.c.user_id == memberships.c.user_id)
                     .where(memberships.c.conversation_id.in_(bindparam("conversation_ids", expanding=True)),
                            memberships.c.muted.is_(False)))

    def store(self, engine, sends: list[tuple[int, int, str]]) -> list[str]:
        """sends: (sender id, conversation id, client id); the JSON of each stored message's payload."""
        from models.time import utcnow

        now = utcnow()
        with engine.begin() as connection:
            senders = {row.id: row for row in connection.execute(
                self.senders, {"ids": sorted({sender for sender, _, _ in sends})})}
            members = {(row.user_id, row.conversation_id): row for row in connection.execute(
                self.memberships, {"pairs": [(sender, conversation) for sender, conversation, _ in sends]})}
            rows = []
            for sender_id, conversation_id, client_id in sends:
                membership = members[(sender_id, conversation_id)]
                assert senders[sender_id].active and membership.archived_at is None
                seq, revision = connection.execute(
                    self.numbering, {"conversation_id": conversation_id, "now": now}).one()
                rows.append({"conversation_id": conversation_id, "sender_id": sender_id, "kind": "text",
                             "body": "a stored message, about a short chat line", "client_id": client_id,
                             "attachment_id": None, "seq": seq, "revision": revision, "reply_to_id": None,
                             "created_at": now, "edited_at": None, "deleted_at": None, "hidden_at": None,
                             "hidden_by_id": None, "mentions_all": False, "system_event": None})
            ids = [row.id for row in connection.execute(self.insert, rows)]
            connection.execute(self.read_own, [
                {"membership_id": members[(row["sender_id"], row["conversation_id"])].id, "read": row["seq"],
                 "delivered": row["seq"]} for row in rows])
            list(connection.execute(self.push, {"conversation_ids": sorted({row["conversation_id"] for row in rows})}))
        return [json.dumps({"id": message_id, "conversation_id": row["conversation_id"], "seq": row["seq"],
                            "revision": row["revision"], "body": row["body"], "client_id": row["client_id"],
                            "sender": {"id": row["sender_id"], "display_name": senders[row["sender_id"]].display_name},
                            "created_at": now.isoformat()})
                for message_id, row in zip(ids, rows, strict=True)]


def batched(app, pairs, count: int, start: int, batch: int, statements: Batched) -> None:
    from extensions import db

    with app.app_context():
        engine = db.engine
        for first in range(start, start + count, batch):
            sends = [(*pairs[number % len(pairs)], f"c{number}") for number in range(first, first + batch)]
            statements.store(engine, sends)


def _stored(app) -> int:
    from sqlalchemy import func, select

    from extensions import db
    from models import Message

    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Message)).scalar_one()


def measure(engine: str, batch: int, count: int, rounds: int) -> dict:
    import logging
    logging.disable(logging.INFO)
    folder = Path(tempfile.mkdtemp(dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    app, pairs, server = build_app(engine, folder, senders=batch)
    statements = Batched()
    try:
        sent = 0
        one_unit_per_send(app, pairs, 200, sent)  # warm up both
        sent += 200
        batched(app, pairs, batch * 10, sent, batch, statements)
        sent += batch * 10
        figures = {"one unit per send": [], "batched": []}
        stored_before = _stored(app)
        for _ in range(rounds):
            for name in figures:
                started = time.process_time()
                if name == "batched":
                    batched(app, pairs, count, sent, batch, statements)
                else:
                    one_unit_per_send(app, pairs, count, sent)
                figures[name].append((time.process_time() - started) / count * 1e6)
                sent += count
        if _stored(app) - stored_before != 2 * rounds * count:  # both ways stored every message
            raise SystemExit(f"{_stored(app) - stored_before} messages stored, not {2 * rounds * count}")
        return figures
    finally:
        if server is not None:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="sqlite")
    parser.add_argument("--batches", default="16,64", help="sends stored together")
    parser.add_argument("--messages", type=int, default=1024, help="messages per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args(argv)
    print(f"[bench] load average {os.getloadavg()}", flush=True)
    for engine in arguments.engines.split(","):
        for batch in (int(size) for size in arguments.batches.split(",")):
            figures = measure(engine, batch, arguments.messages - arguments.messages % batch, arguments.rounds)
            medians = {name: statistics.median(values) for name, values in figures.items()}
            print(json.dumps({"engine": engine, "batch": batch, **{name: [round(value) for value in values]
                                                                   for name, values in figures.items()},
                              "ratio": round(medians["batched"] / medians["one unit per send"], 3)}), flush=True)
    print(f"[bench] load average at end {os.getloadavg()}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
