"""actions.conversations: the conversation list (order, last message, unread counts) and read positions."""
import pytest

from actions.conversations import conversation_summary, list_conversations, mark_read
from actions.direct import open_direct_conversation
from actions.messages import delete_message, send_message
from extensions import db
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

