"""actions.conversations: the conversation list (order, last message, unread counts) and read positions."""
from io import BytesIO

import pytest
from sqlalchemy import func

from actions.conversations import conversation_summary, list_conversations, mark_read
from actions.direct import open_direct_conversation
from actions.files import upload_attachment
from actions.groups import add_member
from actions.messages import delete_message, send_message, unread_messages_filter
from actions.moderation import hide_message
from actions.reactions import add_reaction
from extensions import db
from models import Conversation, Membership, Message, MessageMention, User
from payloads import conversation_payload, summary_payload, user_payload
from tests.factories import make_group
from tests.helpers import database_rows, events, refused


def test_list_is_most_recently_active_first(alice, bob, carol):
    older = make_group(alice, "Older", [bob])
    newer = make_group(alice, "Newer", [bob])
    direct = open_direct_conversation(alice, carol.id).conversation
    assert [summary.conversation.id for summary in list_conversations(alice)] == [direct.id, newer.id, older.id]
    send_message(bob, older.id, "bump")
    assert [summary.conversation.id for summary in list_conversations(alice)] == [older.id, direct.id, newer.id]
    assert [summary.conversation.id for summary in list_conversations(bob)] == [older.id, newer.id]
    assert [summary.conversation.id for summary in list_conversations(carol)] == [direct.id]


def test_list_is_empty_without_conversations(alice):
    assert list_conversations(alice) == []


def test_summaries_carry_title_membership_last_message_and_unread_count(alice, bob, carol):
    group = make_group(alice, "Team", [bob])
    direct = open_direct_conversation(carol, alice.id).conversation
    send_message(alice, group.id, "one")
    last = send_message(bob, group.id, "two").message
    summaries = {summary.conversation.id: summary for summary in list_conversations(alice)}
    team = summaries[group.id]
    assert (team.title, team.membership.user_id, team.membership.role, team.last_message.id, team.unread_count) == (
        "Team", alice.id, "owner", last.id, 1)
    chat = summaries[direct.id]
    assert (chat.title, chat.last_message, chat.unread_count) == ("Carol", None, 0)  # titled with the other person
    assert conversation_summary(carol, direct.id).title == "Alice"


def test_last_message_is_the_newest_even_when_removed(alice, bob):
    group = make_group(alice, "Team", [bob])
    send_message(alice, group.id, "one")
    last = send_message(alice, group.id, "two").message
    delete_message(alice, last.id)
    summary = conversation_summary(bob, group.id)
    assert (summary.last_message.id, summary.last_message.is_removed, summary.unread_count) == (last.id, True, 1)


def test_summary_is_for_members_only(alice, carol):
    group = make_group(alice, "Team")
    assert refused(conversation_summary, carol, group.id) == (403, "not_a_member")
    assert refused(conversation_summary, carol, 9999) == (404, "conversation_not_found")


@pytest.fixture
def three_unread(alice, bob):
    group = make_group(alice, "Team", [bob])
    for number in range(3):
        send_message(alice, group.id, f"m{number}")
    return group


def test_mark_read_moves_forward_and_tells_the_users_sockets(alice, bob, three_unread, socket_client_for):
    group = three_unread
    bob_sockets = [socket_client_for("bob"), socket_client_for("bob")]
    alice_socket = socket_client_for("alice")
    membership = mark_read(bob, group.id, 2)
    assert membership.last_read_seq == 2
    assert conversation_summary(bob, group.id).unread_count == 1
    read = ("conversation:read", {"conversation_id": group.id, "last_read_seq": 2})
    assert [events(socket) for socket in bob_sockets] == [[read], [read]]
    # alice wrote the messages bob's position passed: her ticks change (docs/protocol.md, receipts)
    assert events(alice_socket) == [("conversation:receipt", {
        "conversation_id": group.id, "user_id": bob.id, "last_delivered_seq": 2, "last_read_seq": 2})]


def test_mark_read_never_moves_back(bob, three_unread, socket_client_for):
    mark_read(bob, three_unread.id, 3)
    socket = socket_client_for("bob")
    before = database_rows()
    assert mark_read(bob, three_unread.id, 1).last_read_seq == 3
    assert mark_read(bob, three_unread.id, 3).last_read_seq == 3
    assert database_rows() == before
    assert events(socket) == []


def test_mark_read_is_clamped_to_the_last_message(bob, three_unread, socket_client_for):
    socket = socket_client_for("bob")
    assert mark_read(bob, three_unread.id, 99).last_read_seq == 3
    assert events(socket) == [("conversation:read", {"conversation_id": three_unread.id, "last_read_seq": 3})]
    assert conversation_summary(bob, three_unread.id).unread_count == 0
    db.session.expire_all()
    assert list_conversations(bob)[0].membership.last_read_seq == 3


def test_mark_read_is_for_members_only(carol, three_unread):
    assert refused(mark_read, carol, three_unread.id, 1) == (403, "not_a_member")
    assert refused(mark_read, carol, 9999, 1) == (404, "conversation_not_found")



def counted_unread(user) -> dict[int, tuple[int, int]]:
    """What counts as unread, counted message by message (the definition the list's arithmetic keeps)."""
    rows = db.session.execute(
        db.select(Membership.conversation_id, func.count(Message.id), func.count(MessageMention.user_id))
        .join(Message, (Message.conversation_id == Membership.conversation_id) & unread_messages_filter(user.id)[0])
        .outerjoin(MessageMention, (MessageMention.message_id == Message.id) & (MessageMention.user_id == user.id))
        .where(Membership.user_id == user.id, *unread_messages_filter(user.id)[1:])
        .group_by(Membership.conversation_id)
    ).all()
    return {conversation_id: (unread, mentions) for conversation_id, unread, mentions in rows}


def test_unread_counts_equal_the_unread_messages_through_every_change(alice, bob, carol, operator):
    """The list counts unread messages as `last_seq - last_read_seq` less the removed ones (issue 15):
    sends by every member, mentions, a deletion, a hidden message, membership notes, a late joiner and a
    read position moved halfway leave it equal to counting the messages themselves."""
    group = make_group(alice, "Team", [bob])
    sent = [send_message(alice, group.id, f"a{number} @bob").message for number in range(4)]
    send_message(bob, group.id, "b0")
    sent += [send_message(alice, group.id, f"a{number}").message for number in range(4, 8)]
    add_member(alice, group.id, carol.id)  # a note; carol starts at the end
    send_message(carol, group.id, "c0 @bob")
    delete_message(alice, sent[5].id)
    hide_message(operator, sent[6].id)
    mark_read(bob, group.id, sent[6].seq)  # past his own b0, up to the hidden one
    send_message(alice, group.id, "last @carol")
    db.session.commit()
    for user in (alice, bob, carol):
        shown = {summary.conversation.id: (summary.unread_count, summary.unread_mentions)
                 for summary in list_conversations(user)}
        assert shown == {group.id: counted_unread(user).get(group.id, (0, 0))}, user.username
    assert conversation_summary(bob, group.id).unread_count == 4  # a7, the note, c0, last
    assert conversation_summary(bob, group.id).unread_mentions == 1  # c0
    assert conversation_summary(alice, group.id).unread_count == 0  # sending "last" read c0 before it


def as_the_models_show_it(summary) -> dict:
    """The list entry rendered from the ORM objects its rows were read from."""
    db.session.expire_all()
    conversation = db.session.get(Conversation, summary.conversation.id)
    last_message = db.session.execute(db.select(Message).filter_by(
        conversation_id=conversation.id, seq=conversation.last_seq)).scalar_one_or_none()
    payload = conversation_payload(conversation, db.session.get(Membership, summary.membership.id),
                                   title=summary.title, last_message=last_message, unread_count=summary.unread_count)
    payload["unread_mentions"] = summary.unread_mentions
    if summary.peer is not None:
        payload["peer"] = user_payload(db.session.get(User, summary.peer.id))
    return payload


def test_the_list_renders_as_the_models_do(alice, bob, carol, operator):
    """The list is read as row tuples, not ORM objects (issue 15): every entry's JSON is what the
    models themselves render, for last messages with a file, a quote of a file, a quote of a
    hidden message, mentions, reactions, a deletion and a membership note, and a direct chat's peer."""
    team, quiet, notes, gone = (make_group(alice, name, [bob]) for name in ("Team", "Quiet", "Notes", "Gone"))
    direct = open_direct_conversation(carol, alice.id).conversation
    shared = upload_attachment(alice, team.id, "notes.txt", "text/plain", BytesIO(b"notes"))
    quoted = send_message(alice, team.id, "", attachment_id=shared.id).message
    reply = send_message(bob, team.id, "@alice see this", reply_to=quoted.id,
                         attachment_id=upload_attachment(bob, team.id, "more.txt", "text/plain", BytesIO(b"x")).id)
    for user, emoji in ((alice, "👍"), (bob, "🎉"), (alice, "🎉")):
        add_reaction(user, reply.message.id, emoji)
    hidden = send_message(alice, direct.id, "rude").message
    send_message(carol, direct.id, "why?", reply_to=hidden.id)
    hide_message(operator, hidden.id)
    delete_message(bob, send_message(bob, gone.id, "oops @alice", reply_to=send_message(alice, gone.id, "hi").message.id
                                     ).message.id)
    add_member(alice, notes.id, carol.id)  # a membership note is the last message
    mark_read(alice, team.id, 1)
    db.session.commit()
    for user in (alice, bob, carol):
        summaries = list_conversations(user)
        assert [summary_payload(summary) for summary in summaries] == [
            as_the_models_show_it(summary) for summary in summaries], user.username
    shown = {summary.conversation.id: summary for summary in list_conversations(alice)}
    assert shown[direct.id].peer.id == carol.id and shown[quiet.id].last_message is None
    assert summary_payload(conversation_summary(alice, team.id)) == as_the_models_show_it(shown[team.id])
