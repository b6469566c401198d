"""SQLite's search in the chat at scale (actions.search.newest_matches): among the search index's
newest matches, each message read by its id, at a cost bounded by that window, not by the server's
messages. On the world of tests/test_query_plans.py (30,000 messages beside 3,000), SQLite only:
PostgreSQL plans a search by its statistics of the words and runs the whole search (pg_trgm's index or
the messages read newest first)."""
from __future__ import annotations

import pytest

from actions import search
from actions.chat_search import search_my_messages
from extensions import db
from models import Message
from tests.test_query_plans import check, indexes_used, plans_of, rows_read, seeded_world


@pytest.fixture(scope="module", params=["sqlite"])
def sqlite_world(request, tmp_path_factory):
    yield from seeded_world(request, tmp_path_factory)


@pytest.mark.parametrize("query", ["lunch", "garden invoice", "no such word"])
def test_a_chat_search_on_sqlite_reads_the_newest_matches_by_id(sqlite_world, query):
    """Among the search index's newest matches, each message read by its id, never the scope's 33,000 by
    the conversations' index (actions.search.newest_matches); every word of the seeding is in the big
    group, so that answers. (PostgreSQL plans a search by its statistics of the words: pg_trgm's index
    or the messages newest first, both answered without the whole search's fallback.)"""
    bob, _big, _small = sqlite_world
    plans = plans_of(lambda: search_my_messages(bob, query))
    check(plans)  # the share of the messages in scope (their largest id) included
    assert indexes_used(plans) <= {"ix_memberships_user_id"}, plans  # the scope: Bob's groups
    by_id = [lines for _statement, lines in plans if "SEARCH messages USING INTEGER PRIMARY KEY (rowid=?)" in lines]
    assert len(by_id) == (0 if query == "no such word" else 1), plans  # no match: no message to read


def test_a_chat_search_on_sqlite_costs_its_window_not_the_whole_server(sqlite_world, monkeypatch):
    """"message" is in all 33,000 messages: among the 2,000 newest matches it costs a fraction of the whole
    search, which reads every match of the index and every message of the scope."""
    bob, _big, _small = sqlite_world
    windowed = rows_read(lambda: search_my_messages(bob, "message"))
    monkeypatch.setattr(search, "RECENT_MATCHES", 0)  # no window: the whole search at once
    whole = rows_read(lambda: search_my_messages(bob, "message"))
    assert windowed * 5 < whole, (windowed, whole)


def test_a_short_word_found_nowhere_costs_a_search_on_sqlite_a_bounded_window_more(sqlite_world):
    """Terms too short for the index are looked for among the 2,000 newest messages first (the small
    group holds a tenth of the messages: enough to try): when that does not answer, the whole search of
    the small group's 3,000 follows, so the window is the most it adds, never all the server's 33,000."""
    _bob, _big, small = sqlite_world
    searched = rows_read(lambda: search.search_messages("zq", conversation_ids=[small.conversation_id],
                                                        include_removed=False))
    every_message = rows_read(lambda: db.session.execute(
        db.select(Message.id).where(Message.body.like("%zq%"))).all())
    assert searched * 2 < every_message, (searched, every_message)
