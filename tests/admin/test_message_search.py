"""The Messages panel's search box: full-text search (actions.search) on SQLite and PostgreSQL,
combined with the panel's filters, hidden messages included."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import event

from actions.messages import send_message
from actions.moderation import hide_message
from extensions import db
from tests.database_apps import ENGINES, engine_app
from tests.factories import make_group

BODIES = ("buy cheap watches", "你好世界", "hello there", 'a "quoted" word')


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    """The panel is tried on SQLite and on PostgreSQL."""
    with engine_app(request, tmp_path) as app:
        yield app


@pytest.fixture
def messages(operator, alice, bob):
    group = make_group(alice, "General", members=[bob])
    sent = {body: send_message(bob, group.id, body).message for body in BODIES}
    hide_message(operator, sent["hello there"].id)
    return sent


def listed(client, **arguments) -> set[str]:
    response = client.get("/admin/message/?" + urlencode(arguments))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return {body for body in BODIES if body.replace('"', "&#34;") in page}


def test_search_finds_words_and_chinese_substrings(operator_client, messages):
    assert listed(operator_client, search="watches") == {"buy cheap watches"}
    assert listed(operator_client, search="CHEAP buy") == {"buy cheap watches"}
    assert listed(operator_client, search="世界") == {"你好世界"}  # 2 characters: matched without the index
    assert listed(operator_client, search="好世界") == {"你好世界"}  # 3 characters: through the index
    assert listed(operator_client, search='"quoted') == {'a "quoted" word'}
    assert listed(operator_client, search="nowhere") == set()


def test_search_includes_hidden_messages_and_combines_with_filters(operator_client, messages):
    assert listed(operator_client, search="there") == {"hello there"}
    assert listed(operator_client, search="there", flt0_hidden_is="1") == {"hello there"}
    assert listed(operator_client, search="there", flt0_hidden_is="0") == set()
    assert listed(operator_client, search="e", flt0_hidden_is="0") == {"buy cheap watches", 'a "quoted" word'}


def test_a_refused_search_says_why_and_lists_nothing(operator_client, messages):
    response = operator_client.get("/admin/message/?" + urlencode({"search": "x" * 201}))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "at most 200 characters" in page
    assert not any(body in page for body in BODIES)


def test_the_panel_searches_through_the_index(app, operator_client, messages):
    """Flask-Admin's own search (CAST(body AS VARCHAR) ILIKE) could use neither index."""
    statements = []

    def record(connection, cursor, statement, *arguments):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert listed(operator_client, search="watches") == {"buy cheap watches"}
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    listing = [statement for statement in statements if "FROM messages" in statement and "LIMIT" in statement]
    assert listing and "CAST" not in listing[0]
    index_use = "messages_search MATCH" if db.engine.dialect.name == "sqlite" else "messages.body ILIKE"
    assert index_use in listing[0], listing[0]
