"""Messages read as row tuples, not ORM objects, for the reads every client makes (issue 15: the
conversation list's last messages and `sync`'s changes for the reconnect storm; history pages and one
conversation's changes, `messages_where`, for the history benchmark).

A message comes with its sender, its file and the message it quotes (with that one's sender and
file) as columns of the same statement, outer-joined by primary key (`message_columns` and
`join_message_parts`), and its mentions and reactions as JSON arrays in that statement too
(`mentions_and_reactions`), built once. The payloads (payloads.message_payload) read the same
attributes from these rows as from the models: building ORM objects, their lazy loads and their
selectin loads of every relationship cost more of the worker than the queries."""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter
from typing import NamedTuple

from sqlalchemy import ColumnElement, Integer, ScalarSelect, Select, String, Table, bindparam, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import FromClause
from sqlalchemy.sql.functions import FunctionElement

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
    `user_id` (and `emoji`), as the ORM's would be, read in the same statement (mentions_and_reactions)."""
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
    mentions: list[MentionRow]
    reactions: list[ReactionRow]
    is_removed = Message.is_removed


class MentionRow(NamedTuple):
    """Someone a message names (as Message.mentions' rows: payloads read `user_id`)."""
    user_id: int


class ReactionRow(NamedTuple):
    """An emoji someone put on a message (as Message.reactions' rows)."""
    user_id: int
    emoji: str


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
    """The columns read_message reads, in its order: the message's own, its parts', and its mentions and
    reactions as JSON arrays (`mentions_and_reactions`)."""
    return [*columns(parts.message, MESSAGE_COLUMNS), *columns(parts.sender, UserRow._fields),
            *columns(parts.file, AttachmentRow._fields), *columns(parts.quoted, QUOTED_COLUMNS),
            *columns(parts.quoted_sender, UserRow._fields), *columns(parts.quoted_file, AttachmentRow._fields),
            *mentions_and_reactions(parts.message)]


class json_array_of(FunctionElement):
    """The JSON array of one column's values over the rows of a query, in their order, NULL over no rows
    (most messages have no mention and no reaction: nothing to decode): SQLite's `json_group_array`,
    PostgreSQL's `json_agg`. Text on SQLite, a list on PostgreSQL (psycopg reads `json`): _listed reads both."""
    type = String()
    inherit_cache = True


@compiles(json_array_of, "sqlite")
def _json_group_array(element: json_array_of, compiler, **kw) -> str:
    return f"nullif(json_group_array({compiler.process(element.clauses, **kw)}), '[]')"


@compiles(json_array_of, "postgresql")
def _json_agg(element: json_array_of, compiler, **kw) -> str:
    return f"json_agg({compiler.process(element.clauses, **kw)})"


def _in_order(value: ColumnElement, message: FromClause, table: Table, *order_by: ColumnElement) -> ScalarSelect:
    """`value` of the rows of `table` about the message (`message_id`), in `order_by`, as one JSON array."""
    rows = (select(value.label("value")).where(table.c.message_id == message.c.id).order_by(*order_by)
            .correlate(message).subquery())
    return select(json_array_of(rows.c.value)).scalar_subquery()


def mentions_and_reactions(message: FromClause) -> list[ScalarSelect]:
    """A message's mentions and reactions as three columns of the statement that reads it, not a statement
    of their own (on PostgreSQL a round trip, and more of the worker than the columns: issue 15): the
    mentioned users' ids (Message.mentions' order: by user), and the reactions' users and emojis, each
    in Message.reactions' order (as they were put; the same ties broken the same way in both)."""
    mentions, reactions = MessageMention.__table__, MessageReaction.__table__
    as_put = (reactions.c.created_at, reactions.c.user_id, reactions.c.emoji)
    return [_in_order(mentions.c.user_id, message, mentions, mentions.c.user_id),
            _in_order(reactions.c.user_id, message, reactions, *as_put),
            _in_order(reactions.c.emoji, message, reactions, *as_put)]


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
_MENTIONS = _QUOTED_FILE + len(AttachmentRow._fields)
MESSAGE_WIDTH = _MENTIONS + 3


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
    mentioned, reacted, emojis = (_listed(array) for array in values[_MENTIONS:MESSAGE_WIDTH])
    return MessageRow(*values[:_SENDER], read_part(UserRow, values, _SENDER),
                      read_part(AttachmentRow, values, _FILE), quoted,
                      [MentionRow(user_id) for user_id in mentioned],
                      [ReactionRow(user_id, emoji) for user_id, emoji in zip(reacted, emojis, strict=True)])


def _listed(array: str | list | None) -> list | tuple:
    """A json_array_of column: NULL for none, JSON text (SQLite) or a list already (PostgreSQL)."""
    if array is None:
        return ()
    return json.loads(array) if isinstance(array, str) else array


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
    return messages[:limit], len(messages) > limit
