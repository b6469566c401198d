"""The dashboard at scale (actions/dashboard.py): on tests/test_query_plans.py's world (30,000 messages in a big
group beside 3,000 in a small one, sent long ago) with 1,000 more three days ago, on SQLite and PostgreSQL, the
first visit reads the month's messages through a range of ix_messages_created_at (not every message of every
group by its conversation index), and the next visits only today's (a small part of counting the month). The
cost is test_message_list_plans' (SQLite's VM steps; PostgreSQL's rows read on messages). Speed itself is
bench/admin_lists.py's."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import current_app

from actions.dashboard import SETTLED_KEY, day_counts, midnight
from actions.messages import send_message
from bench.seed import Plan, seed
from extensions import db
from models import User
from models.time import utcnow
from tests.admin.conftest import logged_in
from tests.admin.test_message_list_plans import every_message_read, statements_cost
from tests.database_apps import ENGINES
from tests.factories import make_user
from tests.test_query_plans import READS_MESSAGES, rows_read, seeded_world, sent_statements

RECENT = 1_000


@pytest.fixture(scope="module", params=ENGINES)
def world(request, tmp_path_factory):
    for bob, big, small in seeded_world(request, tmp_path_factory):
        make_user("operator", role="admin")
        alice = db.session.execute(db.select(User).where(User.username == "alice")).scalar_one()
        # seed() stamps a message start + its seq seconds: the big group's next ones end three days ago
        start = utcnow() - timedelta(days=3, seconds=big.last_seq + RECENT)
        seed(db.engine, [Plan(big.conversation_id, RECENT, (alice.id,))], start=start)
        send_message(alice, small.conversation_id, "today")
        db.session.commit()
        yield bob, big, small


def visit_cost() -> int:
    """What the dashboard's statements that read messages cost, each run again as it was sent."""
    client = logged_in(current_app, "operator")
    with sent_statements() as seen:
        page = client.get("/admin/")
        assert page.status_code == 200
    reads = [(statement, parameters) for statement, parameters in seen if READS_MESSAGES.search(statement)]
    assert reads
    return statements_cost(reads)


def test_the_first_visit_reads_the_month_not_every_message(world):
    current_app.extensions.pop(SETTLED_KEY, None)
    cost, whole = visit_cost(), every_message_read()
    assert cost * 2 < whole, (cost, whole)


def test_the_next_visits_read_only_todays_messages(world):
    visit_cost()
    today = utcnow().date()
    month = rows_read(lambda: day_counts(midnight(today - timedelta(days=29)), midnight(today + timedelta(days=1))))
    cost = visit_cost()
    assert cost * 5 < month, (cost, month)  # a small part of counting the month's messages once
