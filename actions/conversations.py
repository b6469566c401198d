"""A user's conversation list (last message, unread count) and read positions.

Every reconnecting client reads its list (issue 15, the reconnect storm), so it is read by a fixed
number of statements whatever the number of conversations: the list itself (each conversation with
the member's row, a direct chat's other member and the last message with its sender, file and quoted
message), the last messages' mentions and reactions, and the unread counts. Each statement is built
once per process (SQLAlchemy then neither builds nor keys it again) and read into row tuples, not ORM
objects (actions.message_rows): the payloads read the same attributes from them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Row, Select, and_, bindparam, func, select
from sqlalchemy.orm import aliased

from actions.access import access_conversation
from actions.message_rows import (
    MESSAGES,
    USERS,
    MessageRow,
    UserRow,
    columns,
    join_message_parts,
    load_mentions_and_reactions,
    message_columns,
    message_parts,
    read_message,
    read_part,
)
from actions.messages import removed_message, unread_messages_filter
from actions.receipts import announce_receipts
from events import atomic, queue_event
from events.facts import ConversationRead
from extensions import db
from models import Conversation, Membership, Message, MessageMention, User


class ConversationRow(NamedTuple):
    """A conversation as the list shows it (payloads.conversation_payload)."""
    id: int
    kind: str
    name: str | None
    description: str
    visibility: str
    created_at: datetime
    archived_at: datetime | None
    last_seq: int
    last_revision: int
    last_message_at: datetime | None
    avatar_key: str | None
    is_group = Conversation.is_group


class MembershipRow(NamedTuple):
    """The user's membership of it (payloads.membership_payload)."""
    id: int
    conversation_id: int
    user_id: int
    role: str
    joined_at: datetime
    last_read_seq: int
    last_delivered_seq: int
    muted: bool


@dataclass(frozen=True)
class ConversationSummary:
    conversation: ConversationRow
    membership: MembershipRow
    title: str
    last_message: MessageRow | None
    unread_count: int
    peer: UserRow | None = None  # a direct chat's other member (the page draws their picture)
    unread_mentions: int = 0  # of the unread messages, those that mention the user (the "@" badge)


def list_conversations(user: User) -> list[ConversationSummary]:
    """Every conversation of the user, most recently active first."""
    return _summaries(LIST, UNREAD_COUNTS, {"user_id": user.id})


def conversation_summary(user: User, conversation_id: int) -> ConversationSummary:
    """One conversation of the user, as the list shows it; others are refused as access_conversation refuses."""
    parameters = {"user_id": user.id, "conversation_id": conversation_id}
    summaries = _summaries(LIST_ONE, UNREAD_COUNT_OF_ONE, parameters)
    if not summaries:
        access_conversation(user, conversation_id)  # says why: not found, or not a member
        summaries = _summaries(LIST_ONE, UNREAD_COUNT_OF_ONE, parameters)  # joined meanwhile
    return summaries[0]


@atomic()
def mark_read(user: User, conversation_id: int, seq: int) -> Membership:
    """Move the user's read position forward (never back), up to the newest message."""
    membership = access_conversation(user, conversation_id)
    seq = min(seq, membership.conversation.last_seq)
    if seq > membership.last_read_seq:
        read_before, delivered_before = membership.last_read_seq, membership.last_delivered_seq
        membership.last_read_seq = seq
        queue_event(ConversationRead(user.id, conversation_id, seq))
        announce_receipts(membership, delivered_before=delivered_before, read_before=read_before)
    return membership


def _summaries(listing: Select, unread: Select, parameters: dict[str, int]) -> list[ConversationSummary]:
    # Core statements do not flush the session as ORM queries do: what this unit of work changed
    # (a membership just added, a read position just moved) is written first, and so shown.
    db.session.flush()
    for _attempt in range(LIST_READS):
        rows = db.session.execute(listing, parameters).all()
        if not rows:
            return []
        entries = [_entry(row) for row in rows]
        counted = {conversation_id: (max(0, unread_count), mentions, (revision, read)) for conversation_id,
                   unread_count, mentions, revision, read in db.session.execute(unread, parameters)}
        # Two statements: on PostgreSQL (READ COMMITTED) each sees the database as it is when it starts, so a
        # message, edit, removal or read committed between them was counted without being in the list
        # (last_seq, last_revision): a client counting from last_revision on counted it twice. Every change
        # of a count moves the conversation's last_revision or the member's last_read_seq: read again
        # until the counts are those of the conversations as listed.
        if all(counted.get(conversation.id, (0, 0, None))[2] == (conversation.last_revision, membership.last_read_seq)
               for conversation, membership, _peer, _message in entries):
            break
    # Most recently active first, sorted here: a user's conversations are few, and the statement,
    # which reads messages, stays an index walk with no sort (tests/test_query_plans.py).
    entries.sort(key=lambda entry: (entry[0].last_message_at or entry[0].created_at, entry[0].id), reverse=True)
    load_mentions_and_reactions([message for _conversation, _membership, _peer, message in entries if message])
    counts = {conversation_id: (unread_count, mentions) for conversation_id, (unread_count, mentions, _as_of)
              in counted.items()}
    return [
        ConversationSummary(conversation=conversation, membership=membership,
                            title=(peer.display_name if peer else None) or conversation.name or "",
                            last_message=message, unread_count=counts.get(conversation.id, (0, 0))[0],
                            peer=peer, unread_mentions=counts.get(conversation.id, (0, 0))[1])
        for conversation, membership, peer, message in entries
    ]


def _entry(row: Row) -> tuple[ConversationRow, MembershipRow, UserRow | None, MessageRow | None]:
    """One row of LIST, cut into what it holds (a part whose id is NULL is absent: an outer join)."""
    return (ConversationRow._make(row[:_MEMBERSHIP]), MembershipRow._make(row[_MEMBERSHIP:_PEER]),
            read_part(UserRow, row, _PEER), read_message(row, _MESSAGE))


# Where each part of a LIST row starts.
_MEMBERSHIP = len(ConversationRow._fields)
_PEER = _MEMBERSHIP + len(MembershipRow._fields)
_MESSAGE = _PEER + len(UserRow._fields)


CONVERSATIONS, MEMBERSHIPS = Conversation.__table__, Membership.__table__


def _list_statement():
    """The user's conversations (`user_id`), each with what the list shows of it, in one statement:
    by the member's rows, so only their conversations (access_conversation's rule); the other member
    of a direct chat; the last message (`seq = last_seq`, by the (conversation_id, seq) index) with
    its sender, file and the message it quotes with that one's sender and file (primary keys)."""
    user_id = bindparam("user_id")
    peer_membership, peer = MEMBERSHIPS.alias("peer_membership"), USERS.alias("peer")
    last = message_parts(MESSAGES.alias("last_message"))
    listing = (
        select(*columns(CONVERSATIONS, ConversationRow._fields), *columns(MEMBERSHIPS, MembershipRow._fields),
               *columns(peer, UserRow._fields), *message_columns(last))
        .select_from(MEMBERSHIPS)
        .join(CONVERSATIONS, CONVERSATIONS.c.id == MEMBERSHIPS.c.conversation_id)
        .outerjoin(peer_membership, and_(peer_membership.c.conversation_id == CONVERSATIONS.c.id,
                                         CONVERSATIONS.c.kind != "group", peer_membership.c.user_id != user_id))
        .outerjoin(peer, peer.c.id == peer_membership.c.user_id)
        .outerjoin(last.message, and_(last.message.c.conversation_id == CONVERSATIONS.c.id,
                                      last.message.c.seq == CONVERSATIONS.c.last_seq))
    )
    return join_message_parts(listing, last).where(MEMBERSHIPS.c.user_id == user_id)


def _unread_counts():
    """Per conversation of the user (`user_id`): its unread messages and, among them, those that
    mention the user; one query.

    Never a count of the unread messages themselves (a million for someone far behind in a busy
    group): seqs have no gaps, so the messages after the read position are `last_seq -
    last_read_seq`, less the removed ones among them (a partial index holds only those). None of
    them is the member's own: sending a message reads everything up to it
    (actions.receipts.read_own_message_unchecked), and whoever joins a group starts at its end.
    Mentions are counted from the user's own mention rows, in one pass."""
    user_id = bindparam("user_id")
    removed_after_read = (
        db.select(func.count()).select_from(Message)
        .where(Message.conversation_id == Membership.conversation_id, Message.seq > Membership.last_read_seq,
               removed_message())
        .correlate(Membership).scalar_subquery()
    )
    reader = aliased(Membership)
    mentions = (
        db.select(Message.conversation_id, func.count().label("count")).select_from(MessageMention)
        .join(Message, Message.id == MessageMention.message_id)
        # `+ 0` leaves no index to reach messages by conversation: the database walks the user's
        # mention rows (few), not every message after their read position (a million), to count them.
        .join(reader, and_(reader.conversation_id == Message.conversation_id + 0, reader.user_id == user_id))
        .where(MessageMention.user_id == user_id, *unread_messages_filter(user_id, reader))
        .group_by(Message.conversation_id).subquery()
    )
    return (
        db.select(Membership.conversation_id, Conversation.last_seq - Membership.last_read_seq - removed_after_read,
                  func.coalesce(mentions.c.count, 0), Conversation.last_revision, Membership.last_read_seq)
        .join(Conversation, Conversation.id == Membership.conversation_id)
        .outerjoin(mentions, mentions.c.conversation_id == Membership.conversation_id)
        .where(Membership.user_id == user_id)
    )


# Readings of the list and its counts before they are answered as they are, out of step (changes
# committed between the two, each time: a user in busy conversations, under load; rare).
LIST_READS = 5
# Built once: building them took more of the worker than running them (issue 15, bench/list_loop.py).
LIST = _list_statement()
LIST_ONE = LIST.where(MEMBERSHIPS.c.conversation_id == bindparam("conversation_id"))
UNREAD_COUNTS = _unread_counts()
UNREAD_COUNT_OF_ONE = UNREAD_COUNTS.where(Membership.conversation_id == bindparam("conversation_id"))
