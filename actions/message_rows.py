"""Messages read as row tuples, not ORM objects, for the reads every client makes (issue 15: the
conversation list's last messages and `sync`'s changes for the reconnect storm; history pages and one
conversation's changes, `messages_where`, for the history benchmark).

A message comes with its sender, its file and the message it quotes (with that one's sender and
file) as columns of the same statement, outer-joined by primary key (`message_columns` and
`join_message_parts`); its mentions and reactions in one statement for all the messages read
(`load_mentions_and_reactions`), built once. The payloads (payloads.message_payload) read the same
attributes from these rows as from the models: building ORM objects, their lazy loads and their
selectin loads of every relationship cost more of the worker than the queries."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter
from typing import NamedTuple

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Row,
    Select,
    Table,
    bindparam,
    literal_column,
    null,
    select,
    union_all,
)
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


# Where each part of message_columns starts in a row, and how many columns they take in all.
_SENDER = len(MESSAGE_COLUMNS)
_FILE = _SENDER + len(UserRow._fields)
_QUOTED = _FILE + len(AttachmentRow._fields)
_QUOTED_SENDER = _QUOTED + len(QUOTED_COLUMNS)
_QUOTED_FILE = _QUOTED_SENDER + len(UserRow._fields)
MESSAGE_WIDTH = _QUOTED_FILE + len(AttachmentRow._fields)


def read_message(row: Sequence, start: int = 0) -> MessageRow | None:
    """The message_columns of a row from `start` (None when its outer join found no message). Cut by
    slices at known places: a page's 50 rows of 42 columns each are read at every history request."""
    values = row[start:start + MESSAGE_WIDTH]
    if values[0] is None:
        return None
    quoted = None
    if values[_QUOTED] is not None:
        quoted = QuotedRow(*values[_QUOTED:_QUOTED_SENDER], read_part(UserRow, values, _QUOTED_SENDER),
                           read_part(AttachmentRow, values, _QUOTED_FILE))
    return MessageRow(*values[:_SENDER], read_part(UserRow, values, _SENDER),
                      read_part(AttachmentRow, values, _FILE), quoted, [], [])


def read_part(row_type, row: Sequence, start: int = 0):
    """The `row_type` of a row from `start`, or None when its outer join found nothing (its id NULL)."""
    if row[start] is None:
        return None
    return row_type._make(row[start:start + len(row_type._fields)])


class PageQuery(NamedTuple):
    """A page of messages: the statement (messages_where) and the column its page is ordered by."""
    statement: Select
    order_by: str
    descending: bool


def messages_where(*criteria: ColumnElement, order_by: str, descending: bool = False) -> PageQuery:
    """The messages matching `criteria` in the order of their column `order_by`, at most `limit` (a
    parameter) of them, with their senders, files and quotes: for a statement built once, read by
    read_page. The page is taken first (an index range and its LIMIT, in a subquery), then joined: with
    the joins in the same SELECT, PostgreSQL's planner may read every row of a range it expects to be
    small, hash-join them and sort (tests/test_query_plans.py)."""
    column = MESSAGES.c[order_by]
    page = (select(MESSAGES).where(*criteria).order_by(column.desc() if descending else column.asc())
            .limit(bindparam("limit", type_=Integer)).subquery("page"))
    parts = message_parts(page)
    return PageQuery(join_message_parts(select(*message_columns(parts)).select_from(page), parts),
                     order_by, descending)


def read_page(query: PageQuery, parameters: dict, limit: int) -> tuple[list[MessageRow], bool]:
    """Up to `limit` messages of a messages_where query, in its order, with their mentions and
    reactions, and whether there were more. The subquery's LIMIT chose the rows; their order is put
    here, from their own column, whatever plan joined them. What this unit changed through the ORM is
    flushed first: a Core statement does not autoflush, and the page must show it as a query of the
    models would."""
    db.session.flush()
    rows = db.session.execute(query.statement, {**parameters, "limit": limit + 1}).all()
    messages = sorted((read_message(row) for row in rows), key=attrgetter(query.order_by),
                      reverse=query.descending)
    load_mentions_and_reactions(messages[:limit])
    return messages[:limit], len(messages) > limit


def load_mentions_and_reactions(messages: list[MessageRow]) -> None:
    """Fill in the messages' mentions and reactions: one statement for all of them."""
    if not messages:
        return
    by_id = {message.id: message for message in messages}
    for row in db.session.execute(MENTIONS_AND_REACTIONS_OF, {"message_ids": list(by_id)}):
        message = by_id[row.message_id]
        (message.mentions if row.emoji is None else message.reactions).append(row)


def _mentions_and_reactions_of() -> CompoundSelect:
    """The mentions (`emoji` NULL) then the reactions of the messages `message_ids`, each in the
    order of Message.mentions (by user) and Message.reactions (as they were put) within a message."""
    mentions, reactions = MessageMention.__table__, MessageReaction.__table__
    message_ids = bindparam("message_ids", expanding=True)
    return union_all(
        select(literal_column("0").label("part"), mentions.c.message_id, mentions.c.user_id, null().label("emoji"),
               null().label("created_at")).where(mentions.c.message_id.in_(message_ids)),
        select(literal_column("1").label("part"), reactions.c.message_id, reactions.c.user_id, reactions.c.emoji,
               reactions.c.created_at).where(reactions.c.message_id.in_(message_ids)),
    ).order_by(literal_column("part"), literal_column("created_at"), literal_column("message_id"),
               literal_column("user_id"))


MENTIONS_AND_REACTIONS_OF = _mentions_and_reactions_of()
