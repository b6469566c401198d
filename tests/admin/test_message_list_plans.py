"""The Messages panel at scale (admin/messages.py, admin/paging.py): on tests/test_query_plans.py's world
(30,000 messages in a big group beside 3,000 in a small one; SQLite and PostgreSQL), each list an operator
opens (sorted, filtered, searched) costs the database a small part of reading every message once: no count
of every message, no sort of a whole conversation, no ILIKE on each message's text or sender. The cost is
what the page's own statements read, each run again as the page sent it: SQLite's VM steps
(tests/test_query_plans.rows_read), against those of reading every message once; PostgreSQL's rows each plan
node on messages read (EXPLAIN ANALYZE: the rows it gave and those its filter removed), against the number of
messages. A sender's messages cost what they wrote (admin/messages.py SenderFilter): Dave's few here, and
Alice's half of the messages less than reading them all. Speed itself is bench/admin_lists.py's."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest
from flask import current_app

from actions.group_admin import add_group_member
from actions.messages import send_message
from extensions import db
from models import Message
from tests.admin.conftest import logged_in
from tests.database_apps import ENGINES
from tests.factories import make_user
from tests.test_query_plans import READS_MESSAGES, rows_read, seeded_world, sent_statements


@pytest.fixture(scope="module", params=ENGINES)
def world(request, tmp_path_factory):
    for seeded in seeded_world(request, tmp_path_factory):
        operator, dave, small = make_user("operator", role="admin"), make_user("dave"), seeded[2].conversation_id
        add_group_member(operator, small, dave.id)
        for number in range(3):
            send_message(dave, small, f"dave {number}")
        db.session.commit()
        yield seeded


def page_cost(url: str) -> int:
    """What the list's statements that read messages cost, each run again as it was sent."""
    client = logged_in(current_app, "operator")
    with sent_statements() as seen:
        assert client.get(url).status_code == 200
    reads = [(statement, parameters) for statement, parameters in seen if READS_MESSAGES.search(statement)]
    assert reads, url
    assert not [statement for statement, _ in reads if "count(" in statement.lower()], url  # no total
    return statements_cost(reads)


def statements_cost(reads: list[tuple[str, object]]) -> int:
    """What these statements cost, each run again as it was sent: SQLite's steps, or PostgreSQL's rows read on
    messages."""
    connection = db.session.connection()
    if db.engine.dialect.name == "sqlite":
        return rows_read(lambda: [connection.exec_driver_sql(statement, parameters).all()
                                  for statement, parameters in reads])
    total = 0
    for statement, parameters in reads:
        plan = connection.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).scalar_one()
        total += sum(rows_examined(entry["Plan"]) for entry in plan)
    db.session.rollback()
    return total


def rows_examined(node: dict) -> int:
    """The rows the plan's nodes on messages read: those they gave, and those their conditions removed."""
    own = 0
    if node.get("Relation Name") == "messages":
        removed = node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
        own = (node["Actual Rows"] + removed) * node["Actual Loops"]
    return own + sum(rows_examined(child) for child in node.get("Plans", []))


def every_message_read() -> int:
    """The cost of reading every message once (a filter no index answers): SQLite's steps, or the messages."""
    if db.engine.dialect.name == "sqlite":
        return rows_read(lambda: db.session.execute(db.select(Message.id).where(Message.body.like("%zq%"))).all())
    return db.session.execute(db.select(db.func.count()).select_from(Message)).scalar_one()


RARE = {"zzzqqq", "dave", "nobody"}  # searched for, or senders, that (almost) no message matches


@pytest.mark.parametrize("arguments", [
    {}, {"page": 20}, {"sort": 0}, {"sort": 1, "desc": 1}, {"sort": 5, "desc": 1},
    {"search": "lunch"}, {"search": "zzzqqq"}, {"search": "message"}, {"search": "message", "sort": 0},
    {"search": "lunch", "flt0_hidden_is": "0"},
    {"flt0_conversation_equals": "big"}, {"flt0_conversation_equals": "small"},
    {"flt0_conversation_equals": "big", "sort": 0},
    {"flt0_sender_contains": "dave"}, {"flt0_sender_contains": "nobody"},
    {"flt0_text_contains": "lunch"}, {"flt0_text_contains": "zzzqqq"}, {"flt0_text_contains": "message"},
    {"flt0_hidden_is": "1"}, {"flt0_hidden_is": "0"},
], ids=lambda arguments: urlencode(arguments) or "default")
def test_a_messages_list_costs_a_small_part_of_reading_every_message(world, arguments):
    _bob, big, small = world
    conversations = {"big": big.conversation_id, "small": small.conversation_id}
    if "flt0_conversation_equals" in arguments:
        arguments = {**arguments, "flt0_conversation_equals": conversations[arguments["flt0_conversation_equals"]]}
    cost, whole = page_cost("/admin/message/?" + urlencode(arguments)), every_message_read()
    if db.engine.dialect.name == "postgresql" and set(arguments.values()) & RARE:
        # PostgreSQL's statistics say nothing matches: at 33,000 messages its cheapest plan is one read of them
        # all (at 1,000,000 it reads the indexes: bench/admin_lists.py); never more than that, never a sort.
        assert cost <= whole * 1.01, (cost, whole)
        return
    assert cost * 5 < whole, (cost, whole)


def test_a_prolific_senders_messages_cost_less_than_reading_every_message(world):
    """Alice wrote half the messages: their ids come from the sender index, which costs what she wrote."""
    cost, whole = page_cost("/admin/message/?flt0_sender_contains=alice"), every_message_read()
    assert cost < whole, (cost, whole)
