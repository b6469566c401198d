"""Messages read as row tuples, not ORM objects, for the reads every reconnecting client makes
(issue 15, the reconnect storm: the conversation list's last messages, `sync`'s changes).

A message comes with its sender, its file and the message it quotes (with that one's sender and
file) as columns of the same statement, outer-joined by primary key (`message_columns` and
`join_message_parts`); its mentions and reactions in one statement each for all the messages read
(`load_mentions_and_reactions`), built once. The payloads (payloads.message_payload) read the same
attributes from these rows as from the models: building ORM objects, their lazy loads and their
selectin loads of every relationship cost more of the worker than the queries."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from itertools import islice
from typing import NamedTuple

from sqlalchemy import Row, Select, Table, bindparam, select
from sqlalchemy.sql import FromClause

from extensions import db
from models import Attachment, Message, MessageMention, MessageReaction, User


class UserRow(NamedTuple):
    """A person as every other user sees them (payloads.user_payload)."""
    id: int
    username: str
    display_name: str
    avatar_key: str | None


class AttachmentRow(NamedTuple):
    """A file as a message shows it (payloads.attachment_payload)."""
    id: int
    status: str
    filename: str
    content_type: str
    size: int
    thumbnail_key: str | None


class QuotedRow(NamedTuple):
    """The message a message answers, as its quote shows it (payloads.quote_payload)."""
    id: int
    seq: int
    kind: str
    body: str
    deleted_at: datetime | None
    hidden_at: datetime | None
    sender: UserRow | None
    attachment: AttachmentRow | None
    is_removed = Message.is_removed


class MessageRow(NamedTuple):
    """A message as payloads.message_payload shows it; mentions and reactions are rows with
    `user_id` (and `emoji`), as the ORM's would be, filled by load_mentions_and_reactions."""
    id: int
    conversation_id: int
    sender_id: int | None
    seq: int
    revision: int
    kind: str
    body: str
    attachment_id: int | None
    client_id: str | None
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    hidden_at: datetime | None
    reply_to_id: int | None
    mentions_all: bool
    system_event: str | None
    sender: UserRow | None
    attachment: AttachmentRow | None
    reply_to: QuotedRow | None
    mentions: list[Row]
    reactions: list[Row]
    is_removed = Message.is_removed


USERS, ATTACHMENTS, MESSAGES = User.__table__, Attachment.__table__, Message.__table__
MESSAGE_COLUMNS = MessageRow._fields[:MessageRow._fields.index("sender")]
QUOTED_COLUMNS = QuotedRow._fields[:QuotedRow._fields.index("sender")]


def columns(table: FromClause, names: tuple[str, ...]) -> list:
    return [table.c[name] for name in names]


class MessageParts(NamedTuple):
    """The tables a message's columns come from, under names of their own (one set per statement)."""
    message: FromClause
    sender: FromClause
    file: FromClause
    quoted: FromClause
    quoted_sender: FromClause
    quoted_file: FromClause


def message_parts(message: Table | FromClause) -> MessageParts:
    """`message` (the messages table or an alias of it) and aliases for what it shows."""
    return MessageParts(message, USERS.alias("sender"), ATTACHMENTS.alias("file"), MESSAGES.alias("quoted"),
                        USERS.alias("quoted_sender"), ATTACHMENTS.alias("quoted_file"))


def message_columns(parts: MessageParts) -> list:
    """The columns read_message reads, in its order."""
    return [*columns(parts.message, MESSAGE_COLUMNS), *columns(parts.sender, UserRow._fields),
            *columns(parts.file, AttachmentRow._fields), *columns(parts.quoted, QUOTED_COLUMNS),
            *columns(parts.quoted_sender, UserRow._fields), *columns(parts.quoted_file, AttachmentRow._fields)]


def join_message_parts(statement: Select, parts: MessageParts) -> Select:
    """The statement with the message's sender, file and quote outer-joined, each by primary key."""
    message, quoted = parts.message, parts.quoted
    return (statement
            .outerjoin(parts.sender, parts.sender.c.id == message.c.sender_id)
            .outerjoin(parts.file, parts.file.c.id == message.c.attachment_id)
            .outerjoin(quoted, quoted.c.id == message.c.reply_to_id)
            .outerjoin(parts.quoted_sender, parts.quoted_sender.c.id == quoted.c.sender_id)
            .outerjoin(parts.quoted_file, parts.quoted_file.c.id == quoted.c.attachment_id))


def read_message(values: Iterator) -> MessageRow | None:
    """The next message_columns of a row (None when its outer join found no message)."""
    message_values = tuple(islice(values, len(MESSAGE_COLUMNS)))
    sender, attachment = read_part(UserRow, values), read_part(AttachmentRow, values)
    quoted_values = tuple(islice(values, len(QUOTED_COLUMNS)))
    quoted_sender, quoted_attachment = read_part(UserRow, values), read_part(AttachmentRow, values)
    if message_values[0] is None:
        return None
    quoted = QuotedRow(*quoted_values, quoted_sender, quoted_attachment) if quoted_values[0] is not None else None
    return MessageRow(*message_values, sender, attachment, quoted, [], [])


def read_part(row_type, values: Iterator):
    """The next part of a row as `row_type`, or None when its outer join found nothing."""
    part = row_type._make(islice(values, len(row_type._fields)))
    return part if part[0] is not None else None


def load_mentions_and_reactions(messages: list[MessageRow]) -> None:
    """Fill in the messages' mentions and reactions: one statement each, for all of them."""
    if not messages:
        return
    by_id = {message.id: message for message in messages}
    for mention in db.session.execute(MENTIONS_OF, {"message_ids": list(by_id)}):
        by_id[mention.message_id].mentions.append(mention)
    for reaction in db.session.execute(REACTIONS_OF, {"message_ids": list(by_id)}):
        by_id[reaction.message_id].reactions.append(reaction)


_MENTIONS, _REACTIONS = MessageMention.__table__, MessageReaction.__table__
# In the orders of Message.mentions and Message.reactions.
MENTIONS_OF = (select(_MENTIONS.c.message_id, _MENTIONS.c.user_id)
               .where(_MENTIONS.c.message_id.in_(bindparam("message_ids", expanding=True)))
               .order_by(_MENTIONS.c.message_id, _MENTIONS.c.user_id))
REACTIONS_OF = (select(_REACTIONS.c.message_id, _REACTIONS.c.user_id, _REACTIONS.c.emoji)
                .where(_REACTIONS.c.message_id.in_(bindparam("message_ids", expanding=True)))
                .order_by(_REACTIONS.c.created_at, _REACTIONS.c.user_id))
