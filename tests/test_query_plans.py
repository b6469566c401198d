"""The read paths that must stay fast at 1,000,000 messages (issue 15) use their index, on SQLite and
on PostgreSQL: a history page (newest, in the middle, at the oldest end), the window around a
message, resync (a small and a large gap) and the conversation list's unread counts of a member
far behind. The SQL is what the real actions send (captured with its parameters), explained by the
database it ran on: no statement reads `messages` by a full scan or sorts it (SQLite: no `SCAN
messages`, no `USE TEMP B-TREE FOR ORDER BY`; PostgreSQL: no Seq Scan on messages, no Sort above
it). 30,000 messages make a full scan dearer than any index, and PostgreSQL is ANALYZEd as
autovacuum would after such a load; SQLite is not (the app never ANALYZEs it). An index range read
to its end passes those rules, so the same page is also read from a conversation ten times smaller:
it must cost the database about as much (SQLite's VM steps, PostgreSQL's EXPLAIN ANALYZE rows).

The seeding (bench/seed.py) is the benchmark's own: tests/bench/test_history_smoke.py and
bench/history.py measure what these plans promise."""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func

from actions.conversations import list_conversations
from actions.messages import changes_since, message_history, message_history_around, unread_messages_filter
from actions.resync import changes_since_each
from bench.seed import Plan, seed
from extensions import db
from models import Membership, Message, MessageMention
from tests.database_apps import ENGINES, engine_app
from tests.factories import make_group, make_user

MESSAGES = 30_000
READS_MESSAGES = re.compile(r"\b(FROM|JOIN)\s+messages\b")


@pytest.fixture(scope="module", params=ENGINES)
def world(request, tmp_path_factory):
    """Bob far behind (read position 0) in a group of 30,000 messages by Alice and Carol, beside
    a smaller group of the same people; some messages edited, deleted, hidden, or mentioning Bob.
    Built once per engine: every test here only reads."""
    yield from seeded_world(request, tmp_path_factory)


def seeded_world(request, tmp_path_factory):
    with engine_app(request, tmp_path_factory.mktemp("plans")):
        alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
        big, small = make_group(alice, "Big", [bob, carol]), make_group(alice, "Small", [bob, carol])
        db.session.commit()
        seeded = seed(db.engine, [Plan(big.id, MESSAGES, (alice.id, carol.id), bob.id),
                                  Plan(small.id, 3_000, (carol.id,), bob.id)], chunk=5_000)
        db.session.expire_all()
        yield bob, seeded[0], seeded[1]


@contextmanager
def sent_statements() -> Iterator[list[tuple[str, object]]]:
    """Every statement the block sends, with its parameters, as the driver got them."""
    seen: list[tuple[str, object]] = []

    def record(_connection, _cursor, statement, parameters, _context, _executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def plans_of(action: Callable[[], object]) -> list[tuple[str, list[str]]]:
    """Each statement of `action` that reads messages, with its plan's lines (as the database words them)."""
    db.session.expire_all()
    with sent_statements() as seen:
        action()
    sqlite = db.engine.dialect.name == "sqlite"
    connection = db.session.connection()
    plans = []
    for statement, parameters in seen:
        if not READS_MESSAGES.search(statement):
            continue
        if sqlite:
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            plans.append((statement, [row[-1] for row in rows]))
        else:
            plan = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar_one()
            plans.append((statement, list(_postgres_nodes(plan if isinstance(plan, list) else json.loads(plan)))))
    db.session.rollback()
    assert plans, "the action read no messages"
    return plans


def _postgres_nodes(plan: list[dict]) -> Iterator[str]:
    """`Node Type on relation [using index] [over messages]` for every node: a Sort is 'over messages'
    when a node under it reads that table, other than by primary key (a message fetched by id for
    each row of another table, such as a user's mention rows, is not a read of the conversation)."""
    def walk(node: dict) -> Iterator[tuple[str, bool]]:
        below = [line for child in node.get("Plans", []) for line in walk(child)]
        reads_messages = (node.get("Relation Name") == "messages" and node.get("Index Name") != "pk_messages"
                          or any(over for _, over in below))
        described = node["Node Type"] + (f" on {node['Relation Name']}" if "Relation Name" in node else "")
        if node.get("Index Name"):
            described += f" using {node['Index Name']}"
        yield described + (" over messages" if node["Node Type"] == "Sort" and reads_messages else ""), reads_messages
        yield from below

    for entry in plan:
        yield from (line for line, _ in walk(entry["Plan"]))


def bad_lines(plans: list[tuple[str, list[str]]]) -> list[str]:
    """The plan lines that read messages row by row or sort them."""
    forbidden = re.compile(r"^SCAN messages\b|USE TEMP B-TREE FOR ORDER BY|^Seq Scan on messages$|^Sort over messages$")
    return [f"{line}\n    in {' '.join(statement.split())[:400]}"
            for statement, lines in plans for line in lines if forbidden.search(line)]


def indexes_used(plans: list[tuple[str, list[str]]]) -> set[str]:
    names = set()
    for _, lines in plans:
        for line in lines:
            found = re.search(r"(?:USING (?:COVERING )?INDEX|using) (\w+)", line)
            if found:
                names.add(found.group(1))
    return names


def check(plans: list[tuple[str, list[str]]], *wanted_indexes: str) -> None:
    assert not bad_lines(plans), "\n".join(bad_lines(plans)) + "\n" + "\n".join(map(str, plans))
    used = indexes_used(plans)
    for wanted in wanted_indexes:
        assert any(wanted in name for name in used), (wanted, plans)


def seq_index() -> str:
    """The unique (conversation_id, seq) index: named by SQLite itself, by its constraint on PostgreSQL."""
    return "sqlite_autoindex_messages" if db.engine.dialect.name == "sqlite" else "uq_messages_conversation_seq"


@pytest.mark.parametrize("where", ["newest", "middle", "oldest end", "after"])
def test_a_history_page_reads_the_seq_index(world, where):
    bob, big, _small = world
    arguments = {"newest": {}, "middle": {"before": MESSAGES // 2}, "oldest end": {"before": 30},
                 "after": {"after": 0}}[where]
    check(plans_of(lambda: message_history(bob, big.conversation_id, **arguments)), seq_index())


@pytest.mark.parametrize("position", [1, MESSAGES // 2, MESSAGES])
def test_the_window_around_a_message_reads_the_seq_index(world, position):
    bob, big, _small = world
    message_id = db.session.execute(db.select(Message.id).where(Message.conversation_id == big.conversation_id,
                                                               Message.seq == position)).scalar_one()
    check(plans_of(lambda: message_history_around(bob, message_id)), seq_index())


@pytest.mark.parametrize("gap", [5, 500, MESSAGES])
def test_resync_reads_the_revision_index(world, gap):
    bob, big, _small = world
    since = max(0, big.last_revision - gap)
    check(plans_of(lambda: changes_since(bob, big.conversation_id, since)), "ix_messages_conversation_revision")
    revisions = [message.revision for message in changes_since(bob, big.conversation_id, since, limit=500).messages]
    assert revisions == sorted(revisions) and revisions[0] > since and revisions[-1] <= big.last_revision


def test_unread_counts_of_a_member_far_behind_read_only_removed_messages_and_mentions(world):
    bob, big, _small = world
    plans = plans_of(lambda: list_conversations(bob))
    check(plans, "ix_messages_removed")
    # The counting statement (the list's own reads the last message by the seq index: one row each).
    unread_statement = next(lines for statement, lines in plans if "count(" in statement)
    # Counting walks the removed messages and Bob's mentions, never the messages after his read position.
    assert not any(seq_index() in line for line in unread_statement), unread_statement


def test_unread_counts_are_the_messages_that_count_as_unread(world):
    """The counts taken without reading every unread message equal the count of them."""
    bob, big, _small = world
    counted = db.session.execute(
        db.select(Message.conversation_id, func.count(Message.id), func.count(MessageMention.user_id))
        .join(Membership, (Membership.conversation_id == Message.conversation_id) & (Membership.user_id == bob.id))
        .outerjoin(MessageMention, (MessageMention.message_id == Message.id) & (MessageMention.user_id == bob.id))
        .where(*unread_messages_filter(bob.id)).group_by(Message.conversation_id)
    ).all()
    shown = {summary.conversation.id: (summary.unread_count, summary.unread_mentions)
             for summary in list_conversations(bob)}
    assert shown == {conversation_id: (unread, mentions) for conversation_id, unread, mentions in counted}
    assert shown[big.conversation_id][0] == MESSAGES - big.changed * 2 // 3  # deleted and hidden ones are not
    assert shown[big.conversation_id][1] > 0


def rows_read(action: Callable[[], object]) -> int:
    """How much reading `action` does in the database: SQLite's virtual machine steps (in hundreds,
    counted by a progress handler), PostgreSQL's rows out of every plan node that reads messages
    (EXPLAIN ANALYZE of each statement the action sent)."""
    db.session.expire_all()
    connection = db.session.connection()
    if db.engine.dialect.name == "sqlite":
        steps = [0]
        raw = connection.connection.dbapi_connection

        def count() -> int:
            steps[0] += 1
            return 0

        raw.set_progress_handler(count, 100)
        try:
            action()
        finally:
            raw.set_progress_handler(None, 100)
        db.session.rollback()
        return steps[0]
    with sent_statements() as seen:
        action()
    total = 0
    for statement, parameters in seen:
        if READS_MESSAGES.search(statement):
            plan = connection.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).scalar_one()
            total += sum(_rows_from_messages(entry["Plan"]) for entry in plan)
    db.session.rollback()
    return total


def _rows_from_messages(node: dict) -> int:
    own = node["Actual Rows"] * node["Actual Loops"] if node.get("Relation Name") == "messages" else 0
    return own + sum(_rows_from_messages(child) for child in node.get("Plans", []))


@pytest.mark.parametrize("read", ["history at the oldest end", "resync from the start", "sync from the start"])
def test_reading_a_page_costs_the_same_at_ten_times_the_messages(world, read):
    """The same page (the oldest, or the first 100 changes) of a conversation of 30,000 messages and of
    one of 3,000: an index range read to its end, or a ranking of every change since the watermark,
    would cost ten times as much in the big one."""
    bob, big, small = world
    action = {"history at the oldest end": lambda conversation: message_history(bob, conversation, before=60),
              "resync from the start": lambda conversation: changes_since(bob, conversation, 0),
              "sync from the start": lambda conversation: changes_since_each(bob, [(conversation, 0)])}[read]
    big_cost, small_cost = (rows_read(lambda seeded=seeded: action(seeded.conversation_id)) for seeded in (big, small))
    assert big_cost < 1.5 * small_cost, (big_cost, small_cost)
