"""actions.resync: `sync` reads every cursor's changes together, as row tuples (issue 15)."""
from io import BytesIO

from actions.direct import open_direct_conversation
from actions.files import upload_attachment
from actions.messages import changes_since, delete_message, edit_message, send_message
from actions.moderation import hide_message
from actions.reactions import add_reaction
from actions.resync import changes_since_each
from extensions import db
from payloads import message_payload
from tests.factories import make_group


def test_each_cursor_answers_what_changes_since_answers_alone(alice, bob, carol, operator):
    """Every conversation's answer (its messages' JSON, its revision, has_more) is the one-by-one
    read's, for messages with files, quotes of files and of hidden messages, mentions, reactions,
    edits and deletions, at watermarks from the start, in the middle and at the end, and a limit
    that leaves more."""
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
    for since in (0, 2, 6, 100):
        for limit in (2, 100):
            cursors = [(team.id, since), (quiet.id, since), (direct.id, since)]
            together = changes_since_each(alice, cursors, limit)
            for conversation_id, _since in cursors:
                alone = changes_since(alice, conversation_id, since, limit)
                assert ([message_payload(message) for message in together[conversation_id].messages],
                        together[conversation_id].revision, together[conversation_id].has_more) == (
                    [message_payload(message) for message in alone.messages], alone.revision, alone.has_more), (
                    conversation_id, since, limit)


def test_a_conversation_the_user_cannot_read_answers_its_own_refusal(alice, bob, carol):
    team, theirs = make_group(alice, "Team", [bob]), make_group(bob, "Theirs", [carol])
    send_message(alice, team.id, "hi")
    answers = changes_since_each(alice, [(team.id, 0), (theirs.id, 0), (9999, 0)])
    assert [message.body for message in answers[team.id].messages] == ["hi"]
    assert (answers[theirs.id].code, answers[9999].code) == ("not_a_member", "conversation_not_found")
