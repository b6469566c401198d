"""actions.search: the same full-text search on SQLite (FTS5 trigram) and PostgreSQL (pg_trgm),
kept in sync with every change of a message, with query syntax treated as text."""
from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from actions import search
from actions.errors import InvalidInput
from actions.group_admin import delete_group
from actions.messages import delete_message, edit_message, send_message
from actions.moderation import delete_message_for_everyone, hide_message
from actions.search import messages_searched, search_messages
from extensions import db
from models import Membership, Message
from tests.database_apps import ENGINES, engine_app
from tests.factories import make_group
from tests.helpers import run_queued_jobs


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    """Every test here runs on SQLite and on PostgreSQL."""
    with engine_app(request, tmp_path) as app:
        yield app


def found(query: str, **options) -> list[str]:
    """The bodies a search returns, newest first."""
    return [message.body for message in search_messages(query, **options).messages]


def post(author, group, *bodies: str) -> list[Message]:
    return [send_message(author, group.id, body).message for body in bodies]


def assert_index_in_sync() -> None:
    """SQLite: FTS5 compares its index with the messages' text and fails on any difference."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("INSERT INTO messages_search(messages_search, rank) VALUES ('integrity-check', 1)"))
        db.session.commit()


# what a search finds

def test_words_and_parts_of_words_in_any_case(alice, group):
    post(alice, group, "The quick brown fox", "Smartwatches for sale", "nothing to see")
    assert found("quick") == ["The quick brown fox"]
    assert found("watch") == ["Smartwatches for sale"]
    assert found("QUICK") == found("Quick") == ["The quick brown fox"]
    assert found("fox quick") == ["The quick brown fox"]  # every term, anywhere, in any order
    assert found("quick sale") == []
    assert found("e") == ["nothing to see", "Smartwatches for sale", "The quick brown fox"]  # newest first


def test_chinese_text_is_found_by_any_part(alice, group):
    post(alice, group, "你好世界", "世界和平", "hello")
    assert found("世界") == ["世界和平", "你好世界"]
    assert found("好世") == ["你好世界"]
    assert found("你好世界") == ["你好世界"]
    assert found("界和平") == ["世界和平"]
    assert found("你好 世界") == ["你好世界"]
    assert found("你好\u3000和平") == []  # the ideographic space separates terms too


def test_case_is_ignored_beyond_ascii(alice, group):
    post(alice, group, "Rendez-vous à l'école", "Привет, мир")
    assert found("ÉCOLE") == ["Rendez-vous à l'école"]
    assert found("ПРИВЕТ") == ["Привет, мир"]


def test_query_syntax_is_text_to_find(alice, group):
    post(alice, group, 'he said "stop" now', "NEAR(cats dogs) AND not OR", "100% of file_name",
         "-minus *star body:colon ^caret +plus", 'three quotes """ here')
    assert found('"stop"') == found('"stop') == found('stop"') == ['he said "stop" now']
    assert found("NEAR(cats") == found("dogs)") == ["NEAR(cats dogs) AND not OR"]
    assert found("cats OR nowhere") == []  # OR is a term like the others, not an operator
    assert found("AND not") == ["NEAR(cats dogs) AND not OR"]
    assert found("-minus") == found("*star") == found("body:colon") == found("^caret") == found("+plus") == [
        "-minus *star body:colon ^caret +plus"]
    assert found("100%") == found("%") == found("_n") == found("file_name") == ["100% of file_name"]
    assert found("0%_") == []  # LIKE wildcards match themselves only
    assert found('"""') == ['three quotes """ here']
    assert found('"') == ['three quotes """ here', 'he said "stop" now']
    assert found('""" here') == ['three quotes """ here']


# the index follows every change

def test_edits_and_deletes_are_reflected(operator, alice, bob, group):
    first, second, third = post(bob, group, "original words", "hidden words", "deleted words")
    edit_message(bob, first.id, "edited text")
    assert found("original") == [] and found("edited") == ["edited text"]
    hide_message(operator, second.id)  # hidden: operators still find it, the chat will not
    delete_message(bob, third.id)  # deleted by its author: the text is kept
    assert found("words") == ["deleted words", "hidden words"]
    assert found("words", include_removed=False) == []
    delete_message_for_everyone(operator, second.id)  # erased for good: its text is gone
    assert found("hidden") == []
    assert_index_in_sync()
    db.session.delete(db.session.get(Message, third.id))
    db.session.commit()
    assert found("deleted") == []
    assert_index_in_sync()


def test_deleting_a_conversation_removes_its_messages_from_the_index(operator, alice, group):
    other = make_group(alice, "Other")
    post(alice, group, "said in general")
    post(alice, other, "said in other")
    delete_group(operator, group.id)
    run_queued_jobs()
    assert found("said") == ["said in other"]
    assert_index_in_sync()


def test_messages_stored_before_the_migration_are_indexed(alice, group):
    # Posted first: the models have columns of later migrations, which the 0003 schema lacks.
    post(alice, group, "older than the index", "你好世界")
    downgrade(revision="0003_files")
    assert not {"messages_search", "messages_search_data"} & set(inspect(db.engine).get_table_names())
    assert "ix_messages_body_trgm" not in {index["name"] for index in inspect(db.engine).get_indexes("messages")}
    assert db.session.execute(text("SELECT count(*) FROM messages")).scalar() == 2  # kept, no longer indexed
    db.session.commit()  # lets the migration lock the table
    upgrade()
    assert found("older") == ["older than the index"]
    assert found("好世界") == ["你好世界"]
    assert_index_in_sync()


# scope and paging

def test_only_the_given_conversations(alice, bob, carol, group):
    elsewhere = make_group(carol, "Elsewhere")
    post(alice, group, "hello from general")
    post(carol, elsewhere, "hello from elsewhere")
    assert found("hello", conversation_ids=[group.id]) == ["hello from general"]
    assert found("hello", conversation_ids=[group.id, elsewhere.id]) == ["hello from elsewhere", "hello from general"]
    assert found("hello", conversation_ids=[]) == []
    # What the chat's search will pass: the user's conversations, as a subquery.
    bobs = db.select(Membership.conversation_id).where(Membership.user_id == bob.id)
    assert found("hello", conversation_ids=bobs) == ["hello from general"]


def test_pages_newest_first(alice, group):
    messages = post(alice, group, *[f"page item {number}" for number in range(7)])
    newest_first = [message.body for message in reversed(messages)]
    first = search_messages("item", limit=3)
    assert [message.body for message in first.messages] == newest_first[:3] and first.has_more
    second = search_messages("item", limit=3, before_id=first.messages[-1].id)
    assert [message.body for message in second.messages] == newest_first[3:6] and second.has_more
    last = search_messages("item", limit=3, before_id=second.messages[-1].id)
    assert [message.body for message in last.messages] == newest_first[6:] and not last.has_more


@pytest.mark.parametrize("query, options, code", [
    ("", {}, "invalid_query"),
    ("   ", {}, "invalid_query"),
    (None, {}, "invalid_query"),
    (42, {}, "invalid_query"),
    ("x" * 201, {}, "invalid_query"),
    ("a\x00b", {}, "invalid_query"),
    (" ".join(f"w{number}" for number in range(11)), {}, "invalid_query"),
    ("hello", {"limit": 0}, "invalid_limit"),
    ("hello", {"limit": 101}, "invalid_limit"),
    ("hello", {"before_id": "x"}, "invalid_before_id"),
])
def test_bad_input_is_refused(alice, group, query, options, code):
    post(alice, group, "hello")
    with pytest.raises(InvalidInput) as refused:
        search_messages(query, **options)
    assert refused.value.code == code


def test_terms_of_three_characters_or_more_use_the_index(alice, group):
    post(alice, group, "hello world")
    statement, _order = messages_searched(db.select(Message.id), "world", by_index=False)
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "sqlite":
        plan = " ".join(row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        assert "messages_search VIRTUAL TABLE INDEX" in plan, plan
    else:
        db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table would be read whole
        plan = "\n".join(db.session.execute(text(f"EXPLAIN {compiled}")).scalars())
        db.session.rollback()
        assert "ix_messages_body_trgm" in plan, plan


def test_the_newest_matches_are_looked_among_first_and_the_answer_is_the_whole_searchs(alice, bob, group,
                                                                                          monkeypatch):
    """SQLite looks among the index's RECENT_MATCHES newest matches first (here 6), and searches
    everything only when they hold too few of the scope's: the answers are the same either way."""
    quiet = make_group(alice, "Quiet", [bob])
    post(alice, quiet, "lunch early", "lunch again")
    for number in range(12):
        post(alice, group, f"lunch {number}", f"coffee {number}")
    post(alice, quiet, "lunch at last", "rare word: quokka")
    monkeypatch.setattr(search, "RECENT_MATCHES", 6)
    whole_searches = []
    real_condition = search.CONDITIONS[db.engine.dialect.name]
    monkeypatch.setitem(search.CONDITIONS, db.engine.dialect.name,
                        lambda terms: whole_searches.append(terms) or real_condition(terms))

    # The 6 newest matches: the quiet group's last lunch, then the group's lunches 11 to 7. The group
    # holds most of the messages: 4 of its matches are expected among them.
    assert found("lunch", conversation_ids=[group.id], limit=3) == ["lunch 11", "lunch 10", "lunch 9"]
    first = search_messages("lunch", conversation_ids=[group.id], limit=2)
    assert [message.body for message in search_messages(
        "lunch", conversation_ids=[group.id], limit=2, before_id=first.messages[-1].id).messages] == [
        "lunch 9", "lunch 8"]  # among the 6 newest before lunch 10
    assert found("lunch 1", conversation_ids=[group.id], limit=1) == ["lunch 11"]
    assert found("quokka", conversation_ids=[quiet.id, group.id], limit=3) == ["rare word: quokka"]  # all there are
    assert found("1", conversation_ids=[group.id], limit=2) == ["coffee 11", "lunch 11"]  # too short for the index
    sqlite = db.engine.dialect.name == "sqlite"
    assert whole_searches == ([] if sqlite else [["lunch"]] * 3 + [["lunch", "1"], ["quokka"], ["1"]])
    whole_searches.clear()

    # The window did not hold enough of the scope's: the whole search.
    assert found("lunch 1", conversation_ids=[group.id], limit=3) == ["lunch 11", "lunch 10", "lunch 1"]
    # Too small a part of the messages to expect enough among the window: the whole search at once.
    assert found("lunch", conversation_ids=[quiet.id]) == ["lunch at last", "lunch again", "lunch early"]
    assert whole_searches == [["lunch", "1"], ["lunch"]]


def test_matches_removed_while_a_search_runs_do_not_hide_an_older_one(alice, bob, group, monkeypatch):
    """The window's ids are read once: whether it held every match is decided from that reading, not
    from a second one that could see fewer (other processes remove messages meanwhile)."""
    other = make_group(alice, "Other", [bob])
    post(alice, group, "lunch in the scope", *(f"coffee {number}" for number in range(30)))
    newer = post(alice, other, *(f"lunch {number}" for number in range(4)))
    monkeypatch.setattr(search, "RECENT_MATCHES", 4)
    real_newest_ids = search._newest_ids

    def removed_meanwhile(*arguments):
        ids = real_newest_ids(*arguments)
        db.session.execute(db.delete(Message).where(Message.id.in_([message.id for message in newer[:2]])))
        return ids

    monkeypatch.setattr(search, "_newest_ids", removed_meanwhile)
    assert found("lunch", conversation_ids=[group.id], limit=1) == ["lunch in the scope"]
