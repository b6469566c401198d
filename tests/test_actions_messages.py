"""actions.messages: numbering, idempotent sends, edit/delete/hide, history and resync, and their events."""
import pytest

from actions.blocks import block_user
from actions.conversations import conversation_summary
from actions.direct import open_direct_conversation
from actions.group_admin import set_group_archived
from actions.groups import leave_group
from actions.messages import (
    changes_since,
    delete_message,
    edit_message,
    message_history,
    post_system_message,
    send_message,
)
from actions.moderation import hide_message, unhide_message
from extensions import db
from models import Conversation, Membership, Message
from models.time import utcnow
from payloads import message_payload
from tests.factories import make_group
from tests.helpers import database_rows, events, refused


def reload(message: Message) -> Message:
    db.session.expire_all()
    return db.session.get(Message, message.id)


def conversation(conversation_id: int) -> Conversation:
    db.session.expire_all()
    return db.session.get(Conversation, conversation_id)


# send_message

def test_send_stores_the_message_and_tells_the_members(alice, group, sockets):
    sent = send_message(alice, group.id, "  hello  ", client_id="c-1")
    message = sent.message
    assert sent.created is True
    assert (message.conversation_id, message.sender_id, message.kind, message.body, message.client_id,
            message.seq, message.revision) == (group.id, alice.id, "text", "hello", "c-1", 1, 1)
    new = ("message:new", {"message": message_payload(reload(message))})
    assert new[1]["message"]["sender"]["username"] == "alice"
    # Sending reads the conversation: the sender's other tabs follow.
    assert events(sockets["alice"]) == [new, ("conversation:read", {"conversation_id": group.id, "last_read_seq": 1})]
    assert events(sockets["bob"]) == [new]
    assert events(sockets["carol"]) == []
    stored = conversation(group.id)
    assert (stored.last_seq, stored.last_revision) == (1, 1)
    assert stored.last_message_at is not None and stored.last_message_at >= stored.created_at


def test_seqs_count_one_to_n_in_each_conversation(alice, bob, group):
    other = make_group(bob, "Other", [alice])
    seqs = []
    for number in range(3):
        seqs.append(send_message(alice, group.id, f"a{number}").message.seq)
        seqs.append(send_message(bob, other.id, f"b{number}").message.seq)
    assert seqs == [1, 1, 2, 2, 3, 3]
    assert (conversation(group.id).last_seq, conversation(other.id).last_seq) == (3, 3)


def test_retry_with_the_same_client_id_returns_the_first_message_silently(alice, bob, group, sockets):
    first = send_message(alice, group.id, "hello", client_id="c-1")
    events(sockets["bob"])
    before = database_rows()
    retry = send_message(alice, group.id, "hello again?", client_id="c-1")
    assert retry.created is False
    assert (retry.message.id, retry.message.body, retry.message.seq) == (first.message.id, "hello", 1)
    assert database_rows() == before
    assert events(sockets["bob"]) == []
    # client ids belong to their sender: bob may use the same one.
    assert send_message(bob, group.id, "mine", client_id="c-1").created is True


def test_a_retry_is_answered_after_posting_there_was_closed(alice, bob, carol, group, operator, sockets):
    """docs/protocol.md: a retry of a stored message (its ack lost, the connection cut) is never refused:
    a group archived since, or a block in a direct chat, answers the message stored, silently. Only
    one who may no longer read the conversation (who left it) is refused, as for anything about it."""
    first = send_message(bob, group.id, "hello", client_id="c-1")
    direct = open_direct_conversation(bob, carol.id).conversation
    to_carol = send_message(bob, direct.id, "hi carol", client_id="c-2")
    set_group_archived(operator, group.id, True)
    block_user(carol, bob.id)
    events(sockets["alice"])
    before = database_rows()
    for conversation_id, client_id, stored in ((group.id, "c-1", first), (direct.id, "c-2", to_carol)):
        retry = send_message(bob, conversation_id, "hello", client_id=client_id)
        assert (retry.created, retry.message.id) == (False, stored.message.id)
    assert database_rows() == before and events(sockets["alice"]) == []
    # Without its client_id (or with a new one) it is a new message, refused as before.
    assert refused(send_message, bob, group.id, "hello") == (403, "conversation_archived")
    assert refused(send_message, bob, direct.id, "hi", client_id="c-3") == (403, "cannot_message_user")
    set_group_archived(operator, group.id, False)
    leave_group(bob, group.id)
    assert refused(send_message, bob, group.id, "hello", client_id="c-1") == (403, "not_a_member")


def test_client_id_reused_in_another_conversation_is_refused(alice, bob, group):
    send_message(alice, group.id, "hello", client_id="c-1")
    other = make_group(alice, "Other", [bob])
    assert refused(send_message, alice, other.id, "hello", client_id="c-1") == (409, "client_id_reused")
    assert conversation(other.id).last_seq == 0


@pytest.mark.parametrize("app_settings", [{"MESSAGE_MAX_LENGTH": 10}])
def test_body_length_follows_message_max_length(alice, group):
    assert send_message(alice, group.id, "x" * 10).message.body == "x" * 10
    assert refused(send_message, alice, group.id, "x" * 11) == (400, "invalid_body")


def test_default_max_length_is_4000(app, alice, group):
    assert app.config["MESSAGE_MAX_LENGTH"] == 4000
    send_message(alice, group.id, "x" * 4000)
    assert refused(send_message, alice, group.id, "x" * 4001) == (400, "invalid_body")


@pytest.mark.parametrize("body, client_id, code", [
    ("", None, "invalid_body"),
    ("   \n ", None, "invalid_body"),
    (None, None, "invalid_body"),
    (42, None, "invalid_body"),
    (["hi"], None, "invalid_body"),
    ("nul \x00", None, "invalid_body"),
    ("hi", "has space", "invalid_client_id"),
    ("hi", 7, "invalid_client_id"),
])
def test_send_refuses_bad_input(alice, group, sockets, body, client_id, code):
    assert refused(send_message, alice, group.id, body, client_id=client_id) == (400, code)
    assert events(sockets["bob"]) == []


def test_send_refuses_non_members_and_unknown_conversations(alice, carol, group):
    assert refused(send_message, carol, group.id, "let me in") == (403, "not_a_member")
    assert refused(send_message, carol, 9999, "hello?") == (404, "conversation_not_found")


def test_archived_conversation_refuses_new_messages_edits_and_deletes(alice, group, sockets):
    sent = send_message(alice, group.id, "before").message
    group.archived_at = utcnow()
    db.session.commit()
    events(sockets["bob"])
    assert refused(send_message, alice, group.id, "after") == (403, "conversation_archived")
    assert refused(edit_message, alice, sent.id, "changed") == (403, "conversation_archived")
    assert refused(delete_message, alice, sent.id) == (403, "conversation_archived")
    assert events(sockets["bob"]) == []


def test_system_messages_have_no_sender(alice, bob, group, sockets):
    message = post_system_message(group.id, "Maintenance tonight")
    assert (message.sender_id, message.kind, message.seq) == (None, "system", 1)
    payload = message_payload(reload(message))
    assert payload["sender"] is None
    assert events(sockets["bob"]) == [("message:new", {"message": payload})]
    assert (conversation_summary(alice, group.id).unread_count, conversation_summary(bob, group.id).unread_count) == (
        1, 1)
    assert refused(post_system_message, 9999, "nobody") == (404, "conversation_not_found")
    assert refused(post_system_message, group.id, "") == (400, "invalid_body")


# unread counting

def test_the_senders_own_messages_are_not_unread(alice, bob, group):
    send_message(alice, group.id, "one")
    send_message(alice, group.id, "two")
    assert conversation_summary(alice, group.id).unread_count == 0
    assert conversation_summary(bob, group.id).unread_count == 2
    send_message(bob, group.id, "three")
    # Writing in a conversation means having read it.
    assert (conversation_summary(alice, group.id).unread_count, conversation_summary(bob, group.id).unread_count) == (
        1, 0)
    memberships = db.session.execute(db.select(Membership.user_id, Membership.last_read_seq)
                                     .where(Membership.conversation_id == group.id)
                                     .order_by(Membership.user_id)).all()
    assert memberships == [(alice.id, 2), (bob.id, 3)]


def test_removed_messages_are_not_unread(alice, bob, operator, group):
    first = send_message(alice, group.id, "one").message
    second = send_message(alice, group.id, "two").message
    send_message(alice, group.id, "three")
    delete_message(alice, first.id)
    hide_message(operator, second.id)
    assert conversation_summary(bob, group.id).unread_count == 1


# edit, delete, hide

def test_author_edits_and_members_get_message_updated(alice, group, sockets):
    sent = send_message(alice, group.id, "helo").message
    send_message(alice, group.id, "second")
    events(sockets["alice"]), events(sockets["bob"])
    edited = edit_message(alice, sent.id, " hello ")
    assert (edited.body, edited.seq, edited.revision) == ("hello", 1, 3)
    assert edited.edited_at is not None
    updated = ("message:updated", {"message": message_payload(reload(sent))})
    assert (updated[1]["message"]["body"], updated[1]["message"]["revision"]) == ("hello", 3)
    assert events(sockets["alice"]) == [updated] and events(sockets["bob"]) == [updated]
    assert events(sockets["carol"]) == []
    stored = conversation(group.id)
    assert (stored.last_seq, stored.last_revision) == (2, 3)  # a change is not a new message


def test_author_deletes_and_the_message_keeps_its_place(alice, group, sockets):
    sent = send_message(alice, group.id, "oops", client_id="c-1").message
    events(sockets["bob"])
    deleted = delete_message(alice, sent.id)
    assert (deleted.seq, deleted.revision, deleted.deleted_at is not None) == (1, 2, True)
    payload = message_payload(reload(sent))
    assert (payload["body"], payload["removed"], payload["removed_by"], payload["seq"]) == ("", True, "author", 1)
    assert events(sockets["bob"]) == [("message:updated", {"message": payload})]
    assert refused(delete_message, alice, sent.id) == (409, "message_removed")
    assert refused(edit_message, alice, sent.id, "back") == (409, "message_removed")


def test_only_the_author_edits_or_deletes(alice, bob, carol, group, sockets):
    sent = send_message(alice, group.id, "mine").message
    system = post_system_message(group.id, "notice")
    for socket in sockets.values():
        events(socket)
    assert refused(edit_message, bob, sent.id, "yours") == (403, "not_the_author")
    assert refused(delete_message, bob, sent.id) == (403, "not_the_author")
    assert refused(edit_message, alice, system.id, "mine now") == (403, "not_the_author")
    assert refused(edit_message, carol, sent.id, "outsider") == (403, "not_a_member")
    assert refused(delete_message, alice, 9999) == (404, "message_not_found")
    assert refused(edit_message, alice, sent.id, "  ") == (400, "invalid_body")
    assert all(events(socket) == [] for socket in sockets.values())


def test_an_author_who_left_can_no_longer_edit(alice, bob, group):
    sent = send_message(bob, group.id, "bye").message
    leave_group(bob, group.id)
    assert refused(edit_message, bob, sent.id, "changed") == (403, "not_a_member")


def test_hide_and_unhide_produce_message_updated(alice, bob, operator, group, sockets):
    sent = send_message(bob, group.id, "rude").message
    events(sockets["alice"]), events(sockets["bob"])
    hidden = hide_message(operator, sent.id)
    assert (hidden.revision, hidden.hidden_by_id, hidden.hidden_at is not None) == (2, operator.id, True)
    payload = message_payload(reload(sent))
    assert (payload["body"], payload["removed"], payload["removed_by"], payload["revision"]) == (
        "", True, "moderator", 2)
    assert events(sockets["alice"]) == [("message:updated", {"message": payload})]
    assert events(sockets["bob"]) == [("message:updated", {"message": payload})]
    # Hiding again changes nothing and says nothing.
    before = database_rows()
    assert hide_message(operator, sent.id).revision == 2
    assert database_rows() == before and events(sockets["bob"]) == []
    shown = unhide_message(operator, sent.id)
    assert (shown.revision, shown.hidden_at, shown.hidden_by_id) == (3, None, None)
    payload = message_payload(reload(sent))
    assert (payload["body"], payload["removed"], payload["removed_by"]) == ("rude", False, None)
    assert events(sockets["alice"]) == [("message:updated", {"message": payload})]
    assert refused(hide_message, operator, 9999) == (404, "message_not_found")


def test_a_message_its_author_deleted_is_not_hidden_after(alice, operator, group):
    """Hidden beats deleted in removed_by (an operator's erasure sets both), so an operator's hide of a
    message its author deleted changes nothing: it stays deleted by its author."""
    sent = send_message(alice, group.id, "x").message
    delete_message(alice, sent.id)
    hide_message(operator, sent.id)
    assert reload(sent).hidden_at is None
    assert message_payload(reload(sent))["removed_by"] == "author"


# history and resync

def send_five(alice, group) -> list[Message]:
    return [send_message(alice, group.id, f"m{number}").message for number in range(1, 6)]


def seqs(page) -> list[int]:
    return [message.seq for message in page.messages]


def test_history_pages_newest_first_before_a_seq(alice, bob, group):
    send_five(alice, group)
    assert (seqs(message_history(bob, group.id)), message_history(bob, group.id).has_more) == ([5, 4, 3, 2, 1], False)
    page = message_history(bob, group.id, limit=2)
    assert (seqs(page), page.has_more) == ([5, 4], True)
    page = message_history(bob, group.id, before=4, limit=2)
    assert (seqs(page), page.has_more) == ([3, 2], True)
    page = message_history(bob, group.id, before=2, limit=2)
    assert (seqs(page), page.has_more) == ([1], False)
    page = message_history(bob, group.id, before=1)
    assert (seqs(page), page.has_more) == ([], False)


def test_history_pages_oldest_first_after_a_seq(alice, bob, group):
    send_five(alice, group)
    page = message_history(bob, group.id, after=0, limit=2)
    assert (seqs(page), page.has_more) == ([1, 2], True)
    page = message_history(bob, group.id, after=2, limit=3)
    assert (seqs(page), page.has_more) == ([3, 4, 5], False)
    page = message_history(bob, group.id, after=5)
    assert (seqs(page), page.has_more) == ([], False)


def test_history_is_for_members_only(alice, carol, group):
    send_five(alice, group)
    assert refused(message_history, carol, group.id) == (403, "not_a_member")
    assert refused(message_history, carol, 9999) == (404, "conversation_not_found")


def test_changes_since_pages_by_revision(alice, bob, operator, group):
    first, second, third, _, _ = send_five(alice, group)  # revisions 1..5
    edit_message(alice, second.id, "edited")  # revision 6
    delete_message(alice, first.id)  # revision 7
    hide_message(operator, third.id)  # revision 8
    page = changes_since(bob, group.id, since=3, limit=2)
    assert ([(m.seq, m.revision) for m in page.messages], page.revision, page.has_more) == (
        [(4, 4), (5, 5)], 5, True)
    page = changes_since(bob, group.id, since=page.revision, limit=2)
    assert ([(m.seq, m.revision) for m in page.messages], page.revision, page.has_more) == (
        [(2, 6), (1, 7)], 7, True)
    page = changes_since(bob, group.id, since=page.revision, limit=2)
    assert ([(m.seq, m.revision) for m in page.messages], page.revision, page.has_more) == ([(3, 8)], 8, False)
    page = changes_since(bob, group.id, since=8)
    assert (page.messages, page.revision, page.has_more) == ([], 8, False)
    page = changes_since(bob, group.id, since=0)
    assert ([m.seq for m in page.messages], page.revision, page.has_more) == ([4, 5, 2, 1, 3], 8, False)


def test_changes_since_an_exact_page_boundary_has_no_more(alice, bob, group):
    send_five(alice, group)
    page = changes_since(bob, group.id, since=0, limit=5)
    assert (len(page.messages), page.revision, page.has_more) == (5, 5, False)


def test_changes_since_a_future_revision_keeps_the_cursor(alice, bob, group):
    send_five(alice, group)
    page = changes_since(bob, group.id, since=50)
    assert (page.messages, page.revision, page.has_more) == ([], 50, False)


def test_changes_are_for_members_only(alice, carol, group):
    assert refused(changes_since, carol, group.id, 0) == (403, "not_a_member")
    assert refused(changes_since, carol, 9999, 0) == (404, "conversation_not_found")
