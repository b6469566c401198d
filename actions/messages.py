"""Messages: send (idempotently), edit, delete, hide; history and resync.

A send validates and authorizes, stores, and queues `MessageCreated`; the transport
commits, acknowledges, and only then do the members hear of it (events.unit_of_work).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from actions.access import (
    access_conversation,
    access_conversation_for_posting,
    access_message,
    access_own_message,
    get_message,
    no_such_message,
)
from actions.errors import Conflict, Forbidden, InvalidInput, NotFound
from actions.mentions import hold_mentionable, record_mentions
from actions.message_rows import MESSAGES, MessageRow, PageQuery, messages_where, read_page
from actions.rate_limits import RateLimited, limit_message_send
from actions.receipts import read_own_message_unchecked
from actions.stored_objects import remove_file_of_deleted_message_unchecked
from actions.typing import typing_ended_by_message
from actions.validation import check_client_id, check_id, check_message_body
from events import atomic, queue_event
from events.facts import MessageChanged, MessageCreated
from events.unit_of_work import keep_until_commit, new_as_written
from extensions import db
from models import Attachment, Conversation, Membership, Message, User
from models.database import begin_writing
from models.time import utcnow
from storage.sniff import message_kind

CONVERSATIONS = Conversation.__table__
MESSAGE_COLUMNS = [column.key for column in Message.__table__.columns if column.key != "id"]


def _insert_message(dialect_insert) -> object:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id, built once: no row back when a unique key refused
    it (a retry's `(sender_id, client_id)`, a file already sent), and nothing written."""
    table = Message.__table__
    return (dialect_insert(table)
            .values({column: bindparam(column, type_=table.c[column].type) for column in MESSAGE_COLUMNS})
            .on_conflict_do_nothing().returning(table.c.id))


INSERT_MESSAGE = {"sqlite": _insert_message(sqlite.insert), "postgresql": _insert_message(postgresql.insert)}


class MessageRowRefused(Exception):
    """A unique key refused a new message's row (`_store`): nothing of it was written."""


@dataclass(frozen=True)
class SentMessage:
    message: Message
    created: bool  # False when a retry returned the message stored the first time


@dataclass(frozen=True)
class MessagePage:
    messages: list[MessageRow]
    has_more: bool


@dataclass(frozen=True)
class ChangeSet:
    messages: list[MessageRow]  # ordered by revision
    revision: int  # pass back as `since` to continue
    has_more: bool


def admit_message_send(sender_id: int, client_id: object = None) -> None:
    """The sender's send rate, asked before anything else of a send: a refusal costs no query,
    so a flood refused costs the others next to nothing. RateLimited past it, except for a retry
    of a message the sender already stored (its `client_id` found: the one query, made only
    then), which is never refused: its ack may have been lost."""
    try:
        limit_message_send(sender_id)
    except RateLimited:
        if not _is_stored_retry(sender_id, client_id):
            raise


def _is_stored_retry(sender_id: int, client_id: object) -> bool:
    try:
        client_id = check_client_id(client_id)
    except InvalidInput:
        return False  # refused as rate_limited: its payload is not read any further
    if client_id is None:
        return False
    with atomic():
        return _find_by_client_id(sender_id, client_id) is not None


@atomic()
def send_message(sender: User, conversation_id: int, body: object, client_id: object = None,
                 kind: str = "text", attachment_id: int | None = None, reply_to: object = None,
                 admitted: bool = False) -> SentMessage:
    """Store a message from a member, optionally answering `reply_to` (a message id of the same
    conversation) and mentioning members (`@name`, `@all`). Retrying with the same client_id
    returns the first one. The send rate is asked first (`admit_message_send`), unless the
    transport asked it already (`admitted`: a socket asks before resolving its principal)."""
    if not admitted:
        admit_message_send(sender.id, client_id)
    body = check_message_body(body, required=attachment_id is None)
    client_id = check_client_id(client_id)
    reply_to = check_id(reply_to, "reply_to", required=False)
    try:
        membership = access_conversation_for_posting(sender, conversation_id)
    except Forbidden as refusal:
        earlier = _retry_after_posting_closed(sender, conversation_id, client_id, refusal)
        if earlier is None:
            raise
        return SentMessage(earlier, created=False)
    keep_until_commit(membership)  # and its conversation, which the adapters render the message with
    if client_id is not None and (reply_to is not None or attachment_id is not None):
        # A retry of a reply or a file is answered before their checks, which would refuse it (its
        # file is used: by itself). A plain send's retry is found by the unique (sender, client_id)
        # at its insert below instead of by a query before every send: retries are rare, sends not.
        earlier = _find_by_client_id(sender.id, client_id)
        if earlier is not None:
            return SentMessage(_same_conversation(earlier, conversation_id), created=False)
    if reply_to is not None:
        _check_reply_target(conversation_id, reply_to)
    if attachment_id is not None:  # the kind follows the file: image, voice, video or file
        attachment = _check_attachment(sender, conversation_id, attachment_id)
        attachment_id, kind = attachment.id, message_kind(attachment.content_type)
    mentionable = hold_mentionable(membership.conversation, body)  # before the conversation, as the purge
    try:
        message = _store(conversation_id, sender.id, kind, body, client_id, attachment_id, reply_to)
    except MessageRowRefused:
        # A retry (of a message stored before, or sent concurrently), or the same file sent twice.
        earlier = _find_by_client_id(sender.id, client_id) if client_id else None
        if earlier is not None:
            return SentMessage(_same_conversation(earlier, conversation_id), created=False)
        if attachment_id is not None:
            raise Conflict("attachment_used", "This file was already sent.") from None
        raise
    record_mentions(message, membership, mentionable)  # may refuse (`@all`): the unit then rolls back, message and all
    read_own_message_unchecked(membership, message.seq)  # you have read what you wrote, in every tab
    typing_ended_by_message(sender, conversation_id)  # whichever transport sent it: socket, REST, gateway
    return SentMessage(message, created=True)


@atomic()
def post_system_message(conversation_id: int, body: str, client_id: str | None = None) -> Message:
    """A message from the service itself (broadcasts, notices): no sender, kind `system`.
    `client_id` marks which broadcast it belongs to, so a retried job can skip it."""
    body = check_message_body(body)
    if db.session.get(Conversation, conversation_id) is None:
        raise NotFound("conversation_not_found", "No such conversation.")
    return _store(conversation_id, None, "system", body, client_id, None)


@atomic()
def edit_message(user: User, message_id: int, body: object) -> Message:
    """Authors edit their own messages: a text, or a file's caption, which may be taken off again (the
    file went without one). An edit is a change told to every member, as a message
    is: it takes from the same send rate (actions.reactions does the same)."""
    message = access_own_message(user, message_id)
    body = check_message_body(body, required=message.attachment_id is None or body is None)
    limit_message_send(user.id)
    membership = access_conversation(user, message.conversation_id)
    mentionable = hold_mentionable(membership.conversation, body, edited=message)  # as a send does
    message.body = body
    message.edited_at = utcnow()
    message.mentions.clear()  # mentioned again from the new text
    message.mentions_all = False
    db.session.flush()
    record_mentions(message, membership, mentionable)
    return record_message_change_unchecked(message)


@atomic()
def delete_message(user: User, message_id: int) -> Message:
    """Authors delete their own messages; the message keeps its place, without content. The send rate
    counts it, as an edit."""
    message = access_own_message(user, message_id)
    limit_message_send(user.id)
    message.deleted_at = utcnow()
    if message.attachment_id is not None:  # unreadable for good: out of storage and of the quota
        remove_file_of_deleted_message_unchecked(message.id, message.attachment_id)
    return record_message_change_unchecked(message)


def _history_pages() -> dict[str, PageQuery]:
    """A history page's statements, built once (issue 15): newest first (`before` a seq or not), or
    oldest first `after` a seq; each a bounded range of the (conversation_id, seq) index."""
    in_conversation = MESSAGES.c.conversation_id == bindparam("conversation_id", type_=Integer)
    seq = MESSAGES.c.seq
    return {"newest": messages_where(in_conversation, order_by="seq", descending=True),
            "before": messages_where(in_conversation, seq < bindparam("before", type_=Integer), order_by="seq",
                                     descending=True),
            "after": messages_where(in_conversation, seq > bindparam("after", type_=Integer), order_by="seq")}


HISTORY = _history_pages()
# One conversation's changes after a revision, oldest change first: the (conversation_id, revision) index.
CHANGES = messages_where(MESSAGES.c.conversation_id == bindparam("conversation_id", type_=Integer),
                         MESSAGES.c.revision > bindparam("since", type_=Integer), order_by="revision")


def message_history(user: User, conversation_id: int, before: int | None = None,
                    after: int | None = None, limit: int = 50) -> MessagePage:
    """Keyset paging by seq: newest first (optionally `before` a seq), or oldest first `after` a seq.
    The messages are actions.message_rows.MessageRow: rows, not ORM objects (payloads read both)."""
    access_conversation(user, conversation_id)
    return _history_page(conversation_id, before=before, after=after, limit=limit)


def _history_page(conversation_id: int, before: int | None = None, after: int | None = None,
                  limit: int = 50) -> MessagePage:
    kind = "after" if after is not None else "before" if before is not None else "newest"
    messages, has_more = read_page(HISTORY[kind], {"conversation_id": conversation_id, "before": before,
                                                   "after": after}, limit)
    return MessagePage(messages=messages, has_more=has_more)


@dataclass(frozen=True)
class MessageWindow:
    messages: list[MessageRow]  # oldest first, the target among them
    target: MessageRow
    has_more_before: bool
    has_more_after: bool


def message_history_around(user: User, message_id: int, limit: int = 50) -> MessageWindow:
    """The history around one message (a reply's quote, a search result, a mention): up to
    `limit` messages, about half before it and the rest after, oldest first; near either end
    of the conversation the other side fills the window."""
    found = access_message(user, message_id)
    conversation_id, seq, others = found.conversation_id, found.seq, limit - 1
    # Only the rows the window shows are read (not `limit - 1` each way): the target with the newer half
    # first, then the older side takes what that leaves; near the oldest end the newer side is read
    # again, longer. The target is read with the others, as a row like theirs.
    from_target = _history_page(conversation_id, after=seq - 1, limit=1 + others - others // 2)
    if not from_target.messages or from_target.messages[0].id != message_id:  # its group deleted meanwhile
        raise no_such_message()
    target, *newer_messages = from_target.messages
    newer = MessagePage(messages=newer_messages, has_more=from_target.has_more)
    older = _history_page(conversation_id, before=seq, limit=others - len(newer.messages))
    if newer.has_more and len(newer.messages) + len(older.messages) < others:
        newer = _history_page(conversation_id, after=seq, limit=others - len(older.messages))
    return MessageWindow(messages=[*reversed(older.messages), target, *newer.messages], target=target,
                         has_more_before=older.has_more, has_more_after=newer.has_more)


def changes_since(user: User, conversation_id: int, since: int, limit: int = 100) -> ChangeSet:
    """Every message created or changed after revision `since`, oldest change first (MessageRows, as
    message_history's; actions.resync.changes_since_each does the same for many conversations)."""
    access_conversation(user, conversation_id)
    messages, has_more = read_page(CHANGES, {"conversation_id": conversation_id, "since": since}, limit)
    # The cursor comes from the rows read, never from a later look at the conversation:
    # a change committed in between would otherwise be skipped.
    revision = messages[-1].revision if messages else since
    return ChangeSet(messages=messages, revision=revision, has_more=has_more)


def _store(conversation_id: int, sender_id: int | None, kind: str, body: str,
           client_id: str | None, attachment_id: int | None, reply_to_id: int | None = None) -> Message:
    """Number and insert a new message: MessageRowRefused, with nothing written, if a unique key
    refuses its row (no savepoint needed to take the numbering back: the numbers are taken last)."""
    # The conversation's row locked first (SQLite: the write lock), so its next numbers stay this
    # message's until COMMIT: seqs and revisions commit in order, with no gaps.
    # Each statement is Core, run on the unit's connection itself: for a Core statement Session.execute
    # adds only a bind lookup and its `do_orm_execute` hook (models.audit), never an autoflush (issue 15).
    connection = db.session.connection()
    begin_writing(connection)
    seq, revision = connection.execute(NEXT_NUMBERS, {"conversation_id": conversation_id}).one()
    now = utcnow()
    row = {"conversation_id": conversation_id, "sender_id": sender_id, "kind": kind, "body": body,
           "client_id": client_id, "attachment_id": attachment_id, "seq": seq, "revision": revision,
           "reply_to_id": reply_to_id, "created_at": now, "edited_at": None, "deleted_at": None,
           "hidden_at": None, "hidden_by_id": None, "mentions_all": False, "system_event": None}
    # The row by one INSERT built once, not by the ORM's flush of a new object; the Message then
    # joins the session as the row it is (persistent, nothing to write), as a query would load it.
    message_id = connection.execute(INSERT_MESSAGE[connection.dialect.name], row).scalar_one_or_none()
    if message_id is None:
        raise MessageRowRefused(f"conversation {conversation_id}, sender {sender_id}, client_id {client_id!r}")
    connection.execute(TAKE_NUMBERS, {"conversation_id": conversation_id, "seq": seq, "revision": revision,
                                      "now": now})
    _numbers_taken(conversation_id)
    message = new_as_written(Message, {"id": message_id, **row}, empty=("mentions", "reactions"))  # new: none
    keep_until_commit(message)  # rendered at commit as it is here, not read again
    queue_event(MessageCreated(conversation_id, message.id, revision))
    return message


# Built once, with the ids and values as parameters, not for every send (issue 15); on the table, not
# the mapped class: a Core statement skips the ORM's bulk-update machinery.
_columns = CONVERSATIONS.c
# FOR NO KEY UPDATE on PostgreSQL (key_share): the numbers' row stays this send's, but a row that only
# refers to the conversation (a file's upload into it: its foreign key's KEY SHARE) need not wait for the
# send's COMMIT, as it would behind FOR UPDATE. Sends still wait for each other, and a deletion for both.
NEXT_NUMBERS = (select(_columns.last_seq + 1, _columns.last_revision + 1)
                .where(_columns.id == bindparam("conversation_id")).with_for_update(key_share=True))
TAKE_NUMBERS = (update(CONVERSATIONS).where(_columns.id == bindparam("conversation_id"))
                .values(last_seq=bindparam("seq"), last_revision=bindparam("revision"),
                        last_message_at=bindparam("now", type_=_columns.last_message_at.type)))
# A change of a message: the next revision, taken and returned by one UPDATE, which locks the row.
NEXT_REVISION = (update(CONVERSATIONS).where(_columns.id == bindparam("conversation_id"))
                 .values(last_revision=_columns.last_revision + 1).returning(_columns.last_revision))


def _numbers_taken(conversation_id: int) -> None:
    """The conversation this session holds, if it holds it (nothing is read to find out), is stale now."""
    conversation = db.session.identity_map.get(db.session.identity_key(Conversation, conversation_id))
    if conversation is not None:
        db.session.expire(conversation, ["last_seq", "last_revision", "last_message_at"])


def record_message_change_unchecked(message: Message) -> Message:
    """Every change of a message (edit, removal, moderation, its file) takes the conversation's
    next revision and tells its members: resync finds it. Decides nothing: callers authorize
    (actions.moderation and actions.files use it after their own checks)."""
    message.revision = db.session.execute(NEXT_REVISION, {"conversation_id": message.conversation_id}).scalar_one()
    _numbers_taken(message.conversation_id)
    queue_event(MessageChanged(message.conversation_id, message.id, message.revision))
    return message


def message_of(attachment: Attachment) -> Message | None:
    """The message that carries the attachment, if it was sent."""
    return db.session.execute(db.select(Message).where(Message.attachment_id == attachment.id)).scalar_one_or_none()


def _check_reply_target(conversation_id: int, reply_to: int) -> Message:
    """A message of the same conversation (one the sender may read: they post in it), not removed (a
    quote of nothing helps nobody). A message of another conversation is `reply_elsewhere` whether or
    not the sender may read it (docs/protocol.md)."""
    original = get_message(reply_to)
    if original.conversation_id != conversation_id:
        raise InvalidInput("reply_elsewhere", "You can only reply to a message of the same conversation.")
    if original.is_removed:
        raise Conflict("message_removed", "This message was removed.")
    return original


def _check_attachment(sender: User, conversation_id: int, attachment_id: object) -> Attachment:
    """An attachment the sender uploaded to this conversation, complete and not yet sent."""
    attachment_id = check_id(attachment_id, "attachment_id")
    # Locked until the send commits (PostgreSQL), so two sends cannot both take it.
    attachment = db.session.execute(
        db.select(Attachment).where(Attachment.id == attachment_id).with_for_update()
    ).scalar_one_or_none()
    if attachment is None or attachment.uploader_id != sender.id:
        raise NotFound("attachment_not_found", "No such upload of yours.")
    if attachment.conversation_id != conversation_id:
        raise InvalidInput("attachment_elsewhere", "This file was uploaded to another conversation.")
    if attachment.status != "ready":
        raise Conflict("attachment_not_ready", "This file is not ready (upload incomplete or removed).")
    if message_of(attachment) is not None:
        raise Conflict("attachment_used", "This file was already sent.")
    return attachment


def _retry_after_posting_closed(sender: User, conversation_id: int, client_id: str | None,
                                refusal: Forbidden) -> Message | None:
    """The message a refused send is a retry of, if any. A retry of a stored message is never refused
    (docs/protocol.md): its ack may have been lost before the group was archived or a block closed the
    direct chat, and the sender, who still reads the conversation, must learn it was stored. Who may
    no longer read it (`not_a_member`: they left, or were removed) is refused as for reading it."""
    if client_id is None or refusal.code == "not_a_member":
        return None
    earlier = _find_by_client_id(sender.id, client_id)
    if earlier is None:
        return None
    keep_until_commit(earlier)
    return _same_conversation(earlier, conversation_id)


def _find_by_client_id(sender_id: int, client_id: str) -> Message | None:
    return db.session.execute(
        db.select(Message).where(Message.sender_id == sender_id, Message.client_id == client_id)
    ).scalar_one_or_none()


def _same_conversation(message: Message, conversation_id: int) -> Message:
    if message.conversation_id != conversation_id:
        raise Conflict("client_id_reused", "This client_id was already used for another conversation.")
    return message


def unread_messages_filter(user_id: int, membership=Membership):
    """Messages that count as unread for a member: others' and system messages, not removed
    (`membership`: the member's row, or an alias of the table)."""
    return (
        Message.seq > membership.last_read_seq,
        (Message.sender_id != user_id) | Message.sender_id.is_(None),
        Message.deleted_at.is_(None),
        Message.hidden_at.is_(None),
    )


def removed_message():
    """Deleted or hidden: the condition of the partial index ix_messages_removed, word for word
    (models.message.REMOVED), so that counting removed messages reads that small index only."""
    return Message.deleted_at.is_not(None) | Message.hidden_at.is_not(None)
