"""actions.resync: `sync` reads every cursor's changes together, as row tuples (issue 15); history pages
and one conversation's changes are row tuples too. On SQLite and on PostgreSQL: each engine answers
these statements (and orders their mentions and reactions) itself."""
from io import BytesIO

import pytest

from actions.direct import open_direct_conversation
from actions.files import upload_attachment
from actions.message_rows import MessageRow
from actions.messages import (
    changes_since,
    delete_message,
    edit_message,
    message_history,
    message_history_around,
    send_message,
)
from actions.moderation import hide_message
from actions.reactions import add_reaction
from actions.resync import changes_since_each
from extensions import db
from models import Message
from payloads import message_payload
from tests.database_apps import ENGINES, engine_app
from tests.factories import make_group


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        yield app


def varied_conversations(alice, bob, carol, operator) -> list[int]:
    """Three conversations whose messages have files, quotes of files and of hidden messages, mentions,
    reactions, edits and deletions."""
    team, quiet = make_group(alice, "Team", [bob, carol]), make_group(bob, "Quiet", [alice])
    direct = open_direct_conversation(carol, alice.id).conversation
    shared = upload_attachment(alice, team.id, "notes.txt", "text/plain", BytesIO(b"notes"))
    quoted = send_message(alice, team.id, "", attachment_id=shared.id).message
    reply = send_message(bob, team.id, "@alice @carol see this", reply_to=quoted.id).message
    for user, emoji in ((alice, "👍"), (carol, "🎉"), (alice, "🎉")):
        add_reaction(user, reply.id, emoji)
    edit_message(bob, reply.id, "@alice see this")
    hidden = send_message(alice, direct.id, "rude").message
    send_message(carol, direct.id, "why?", reply_to=hidden.id)
    hide_message(operator, hidden.id)
    delete_message(carol, send_message(carol, team.id, "oops").message.id)
    db.session.commit()
    return [team.id, quiet.id, direct.id]


def test_each_cursor_answers_what_changes_since_answers_alone(alice, bob, carol, operator):
    """Every conversation's answer (its messages' JSON, its revision, has_more) is the one-by-one
    read's, at watermarks from the start, in the middle and at the end, and a limit that leaves more."""
    conversation_ids = varied_conversations(alice, bob, carol, operator)
    for since in (0, 2, 6, 100):
        for limit in (2, 100):
            cursors = [(conversation_id, since) for conversation_id in conversation_ids]
            together = changes_since_each(alice, cursors, limit)
            for conversation_id, _since in cursors:
                alone = changes_since(alice, conversation_id, since, limit)
                assert ([message_payload(message) for message in together[conversation_id].messages],
                        together[conversation_id].revision, together[conversation_id].has_more) == (
                    [message_payload(message) for message in alone.messages], alone.revision, alone.has_more), (
                    conversation_id, since, limit)


def test_rows_read_show_what_the_models_show(alice, bob, carol, operator):
    """History pages, the window around a message and the changes are read as row tuples
    (actions.message_rows); their JSON is the JSON of the same messages as ORM objects."""
    conversation_ids = varied_conversations(alice, bob, carol, operator)
    db.session.expire_all()
    def around_the_oldest(conversation_id: int) -> list:
        oldest = message_history(alice, conversation_id).messages[-1:]
        return [shown for message in oldest for shown in message_history_around(alice, message.id, limit=4).messages]

    read = {"history": lambda conversation_id: message_history(alice, conversation_id).messages,
            "oldest first": lambda conversation_id: message_history(alice, conversation_id, after=0, limit=3).messages,
            "changes": lambda conversation_id: changes_since(alice, conversation_id, 0).messages,
            "around": around_the_oldest}
    compared = 0
    for conversation_id in conversation_ids:
        for name, messages_of in read.items():
            rows = messages_of(conversation_id)
            compared += len(rows)
            assert all(isinstance(row, MessageRow) for row in rows), name
            assert [message_payload(row) for row in rows] == [
                message_payload(db.session.get(Message, row.id)) for row in rows], (conversation_id, name)
    assert compared >= 15, compared


def test_a_conversation_the_user_cannot_read_answers_its_own_refusal(alice, bob, carol):
    team, theirs = make_group(alice, "Team", [bob]), make_group(bob, "Theirs", [carol])
    send_message(alice, team.id, "hi")
    answers = changes_since_each(alice, [(team.id, 0), (theirs.id, 0), (9999, 0)])
    assert [message.body for message in answers[team.id].messages] == ["hi"]
    assert (answers[theirs.id].code, answers[9999].code) == ("not_a_member", "conversation_not_found")
