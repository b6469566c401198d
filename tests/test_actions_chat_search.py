"""actions.chat_search on SQLite and PostgreSQL: the caller's conversations only, removed messages
never, Chinese terms of one and two characters, the filters and keyset paging; muting
(actions.notifications) with its one fact."""
from __future__ import annotations

from datetime import timedelta

import pytest

from actions.chat_search import search_my_messages
from actions.errors import ActionError, InvalidInput
from actions.groups import leave_group
from actions.messages import delete_message, send_message
from actions.notifications import set_muted
from events.facts import ConversationMuted
from extensions import db
from models import Membership, Message
from models.time import utcnow
from tests.database_apps import ENGINES, engine_app
from tests.factories import make_group


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        yield app


def found(user, query: str, **options) -> list[str]:
    return [message.body for message in search_my_messages(user, query, **options).messages]


def test_only_the_callers_conversations_with_chinese_terms(alice, bob, carol, group):
    elsewhere = make_group(carol, "Elsewhere")
    alices_own = make_group(alice, "Own")
    send_message(alice, group.id, "你好世界")
    send_message(bob, group.id, "世界和平 for everyone")
    send_message(carol, elsewhere.id, "carol's 世界")
    send_message(alice, alices_own.id, "世界 alone")
    removed = send_message(bob, group.id, "removed 世界").message
    delete_message(bob, removed.id)

    assert found(bob, "世界") == ["世界和平 for everyone", "你好世界"]
    assert found(bob, "你") == ["你好世界"]
    assert found(bob, "和平 everyone") == ["世界和平 for everyone"]
    assert found(carol, "世界") == ["carol's 世界"]
    assert found(alice, "世界", conversation_id=alices_own.id) == ["世界 alone"]
    with pytest.raises(ActionError):
        found(bob, "世界", conversation_id=elsewhere.id)
    # A conversation left is no longer searched.
    leave_group(bob, group.id)
    assert found(bob, "世界") == []


def test_membership_notes_are_not_found(alice, bob, carol, group):
    from actions.groups import add_member

    add_member(alice, group.id, carol.id)  # leaves the note "Alice added Carol"
    send_message(bob, group.id, "welcome Carol")
    assert found(bob, "added") == []
    assert found(bob, "Carol") == ["welcome Carol"]


def test_paging_and_dates(alice, group):
    for number in range(5):
        send_message(alice, group.id, f"page {number}")
    first = search_my_messages(alice, "page", limit=2)
    assert [m.body for m in first.messages] == ["page 4", "page 3"] and first.has_more
    rest = search_my_messages(alice, "page", limit=10, before_id=first.messages[-1].id)
    assert [m.body for m in rest.messages] == ["page 2", "page 1", "page 0"] and not rest.has_more
    oldest = db.session.execute(db.select(Message).where(Message.body == "page 0")).scalar_one()
    oldest.created_at = utcnow() - timedelta(days=3)
    db.session.commit()
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    assert "page 0" not in found(alice, "page", since=yesterday)
    assert found(alice, "page", until=yesterday) == ["page 0"]
    assert found(alice, "page", until=yesterday + "T00:00:00+08:00") == ["page 0"]


@pytest.mark.parametrize("options, code", [
    ({"since": "yesterday"}, "invalid_since"), ({"until": 5}, "invalid_until"),
    ({"before_id": 0}, "invalid_before_id"), ({"limit": 51}, "invalid_limit"),
    ({"conversation_id": "x"}, "invalid_conversation_id")])
def test_bad_filters_are_refused(alice, group, options, code):
    with pytest.raises(InvalidInput) as refused:
        search_my_messages(alice, "x", **options)
    assert refused.value.code == code


def test_muting_tells_the_users_other_tabs_once(alice, group, captured_events):
    set_muted(alice, group.id, True)
    set_muted(alice, group.id, True)  # no change: nothing told
    assert captured_events == [ConversationMuted(user_id=alice.id, conversation_id=group.id, muted=True)]
    assert db.session.execute(db.select(Membership.muted).where(
        Membership.user_id == alice.id, Membership.conversation_id == group.id)).scalar_one() is True
    with pytest.raises(InvalidInput):
        set_muted(alice, group.id, "yes")
