"""Message moderation by operators: hide, unhide, delete, and sweep a sender's recent messages.

Every change goes through actions.messages.record_message_change_unchecked, the path every removal takes:
the revision moves and members get `message:updated` with `removed_by: "moderator"`. A message its author
deleted is not hidden: it stays `removed_by: "author"` (an erasure still erases its text and file).
The audit log records that a message was hidden or deleted, never its text: a deletion
must not leave a copy of what was deleted behind.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from actions.access import access_operator, get_message, hold_message
from actions.audit import record
from actions.errors import Conflict
from actions.files import delete_attachment
from actions.messages import record_message_change_unchecked
from actions.validation import check_int
from events import atomic
from extensions import db
from models import Message, User
from models.database import begin_writing
from models.time import utcnow

MAX_SWEEP_HOURS = 24 * 30


@dataclass(frozen=True)
class MessageContext:
    message: Message
    before: list[Message]  # oldest first
    after: list[Message]


def message_context(message_id: int, around: int = 10) -> MessageContext:
    """The message with `around` messages of its conversation around it (half before, half after)."""
    message = get_message(message_id)
    in_conversation = db.select(Message).where(Message.conversation_id == message.conversation_id)
    before = list(db.session.execute(
        in_conversation.where(Message.seq < message.seq).order_by(Message.seq.desc()).limit(around // 2)
    ).scalars())
    after = list(db.session.execute(
        in_conversation.where(Message.seq > message.seq).order_by(Message.seq.asc()).limit(around - around // 2)
    ).scalars())
    return MessageContext(message=message, before=before[::-1], after=after)


@atomic()
def hide_message(operator: User, message_id: int) -> Message:
    """Hide a message from every member; it can be unhidden. One its author deleted is left as it is."""
    return _set_hidden(access_operator(operator), message_id, hidden=True)


@atomic()
def unhide_message(operator: User, message_id: int) -> Message:
    """Show a hidden message again (not a deleted one: an operator or its author deleted it for good)."""
    operator = access_operator(operator)
    message = hold_message(message_id)  # decided on what it is now: an author's deletion meanwhile waits, or is seen
    if message.deleted_at is not None:
        raise Conflict("message_deleted", "This message was deleted; it cannot be shown again.")
    return _set_hidden(operator, message_id, hidden=False)


@atomic()
def delete_message_for_everyone(operator: User, message_id: int) -> Message:
    """Erase a message's text (and file) for good; it keeps its place as "removed by a moderator", or as
    deleted by its author if they deleted it first."""
    operator = access_operator(operator)
    message = hold_message(message_id)
    if message.is_erased:
        return message
    visible = not message.is_removed
    record(operator, "message.delete", "message", message.id, _state(message),
           {"hidden": visible or message.hidden_at is not None, "deleted": True, "body_length": 0,
            "file_deleted": message.attachment_id is not None})
    message.body = ""
    message.deleted_at = message.deleted_at or utcnow()
    if visible:
        _hide(operator, message, hidden=True)
    # else members already see it removed (by a moderator, or by its author, who deleted it first): nothing
    # new to tell them, and one its author deleted stays "deleted" for them, not "removed by a moderator"
    if message.attachment_id is not None:  # erased for good means its file too
        delete_attachment(operator, message.attachment_id)
    return message


@dataclass(frozen=True)
class HeldSweep:
    """What a sweep hides, held until the unit ends (hold_sweep): each message's id, conversation and whether
    the sweep takes it (`swept`), in id order; and the message `also` hidden with it."""
    rows: list
    also: int | None


@atomic()
def hide_recent_messages(operator: User, sender_id: int, hours: object, also: int | None = None) -> list[Message]:
    """Hide every visible message the sender wrote in the last `hours` hours (and the message `also`, even
    older: a report's settlement hides its reported message with the sweep). In id order."""
    operator = access_operator(operator)
    hours = check_int(hours, "hours", minimum=1, maximum=MAX_SWEEP_HOURS)
    return hide_held_sweep_unchecked(operator, hold_sweep(sender_id, hours, also))


def hold_sweep(sender_id: int, hours: int, also: int | None = None) -> HeldSweep:
    """Hold, in id order, the sender's visible messages of the last `hours` hours and the message `also`, for
    hide_held_sweep_unchecked. Every message is held first, before any conversation's revision is taken: a
    message is always held before its conversation (hold_message), so an author editing one of them meanwhile
    waits here instead of holding it while the sweep waits for its conversation. A report's settlement that
    sweeps its sender holds the sweep with its reported message before anything else, once: two such
    settlements (or one and a sweep) never wait for each other in a cycle. Decides nothing."""
    begin_writing(db.session.connection())
    since = utcnow() - timedelta(hours=hours)
    swept = ((Message.sender_id == sender_id) & (Message.created_at >= since)
             & Message.hidden_at.is_(None) & Message.deleted_at.is_(None))
    return HeldSweep(list(db.session.execute(
        db.select(Message.id, Message.conversation_id, swept.label("swept"))
        .where(swept if also is None else swept | (Message.id == also))
        .order_by(Message.id).with_for_update(key_share=True)
    )), also)


def hide_held_sweep_unchecked(operator: User, sweep: HeldSweep) -> list[Message]:
    """Hide what hold_sweep held, conversation by conversation, in id order, as other changes of several groups
    hold them: two sweeps of two senders who wrote in the same groups took them in their messages' order,
    each holding a group the other waited for (PostgreSQL cancelled one). In id order. Decides nothing: the
    caller checked the operator."""
    hidden = [_set_hidden(operator, row.id, hidden=True)
              for row in sorted(sweep.rows, key=lambda row: (row.conversation_id, row.id))
              if row.swept or row.id == sweep.also]
    return sorted(hidden, key=lambda message: message.id)


def _set_hidden(operator: User, message_id: int, hidden: bool) -> Message:
    message = hold_message(message_id)  # the audit's "before" and the decision are what it is now
    if hidden == (message.hidden_at is not None):
        return message
    if hidden and message.deleted_at is not None:
        # Its author deleted it: nothing is left to hide, and members keep seeing it deleted by its author
        # (hidden, it would become "removed by a moderator" on every page).
        return message
    record(operator, "message.hide" if hidden else "message.unhide", "message", message.id,
           _state(message), {**_state(message), "hidden": hidden})
    return _hide(operator, message, hidden)


def _hide(operator: User, message: Message, hidden: bool) -> Message:
    message.hidden_at = utcnow() if hidden else None
    message.hidden_by_id = operator.id if hidden else None
    return record_message_change_unchecked(message)


def _state(message: Message) -> dict:
    return {"conversation_id": message.conversation_id, "sender_id": message.sender_id,
            "hidden": message.hidden_at is not None, "deleted": message.deleted_at is not None,
            "body_length": len(message.body or "")}
