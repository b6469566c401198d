"""A user's conversation list (last message, unread count) and read positions."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func
from sqlalchemy.orm import aliased

from actions.access import access_conversation, readable_conversation_ids
from actions.messages import removed_message, unread_messages_filter
from actions.receipts import announce_receipts
from events import atomic, queue_event
from events.facts import ConversationRead
from extensions import db
from models import Conversation, Membership, Message, MessageMention, User


@dataclass(frozen=True)
class ConversationSummary:
    conversation: Conversation
    membership: Membership
    title: str
    last_message: Message | None
    unread_count: int
    peer: User | None = None  # a direct chat's other member (the page draws their picture)
    unread_mentions: int = 0  # of the unread messages, those that mention the user (the "@" badge)


def list_conversations(user: User) -> list[ConversationSummary]:
    """Every conversation of the user, most recently active first."""
    memberships = list(db.session.execute(
        db.select(Membership).join(Conversation).where(Membership.user_id == user.id)
        .order_by(func.coalesce(Conversation.last_message_at, Conversation.created_at).desc())
    ).scalars())
    return _summaries(user, memberships)


def conversation_ids_of(user: User) -> list[int]:
    """Ids of every conversation the user belongs to (the rooms a new socket joins)."""
    return list(db.session.execute(readable_conversation_ids(user)).scalars())


def conversation_summary(user: User, conversation_id: int) -> ConversationSummary:
    return _summaries(user, [access_conversation(user, conversation_id)])[0]


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


def _summaries(user: User, memberships: list[Membership]) -> list[ConversationSummary]:
    if not memberships:
        return []
    conversation_ids = [membership.conversation_id for membership in memberships]
    last_messages = {
        message.conversation_id: message
        for message in db.session.execute(
            db.select(Message).join(Conversation, and_(Conversation.id == Message.conversation_id,
                                                       Conversation.last_seq == Message.seq))
            .where(Message.conversation_id.in_(conversation_ids), Conversation.id.in_(conversation_ids))
        ).scalars()
    }
    unread_rows = db.session.execute(_unread_counts(user, conversation_ids)).all()
    unread = {conversation_id: max(0, count) for conversation_id, count, _ in unread_rows}
    mentions = {conversation_id: count for conversation_id, _, count in unread_rows}
    peers = _direct_peers(user, [m.conversation_id for m in memberships if not m.conversation.is_group])
    return [
        ConversationSummary(
            conversation=membership.conversation,
            membership=membership,
            title=(peers[membership.conversation_id].display_name if membership.conversation_id in peers
                   else None) or membership.conversation.name or "",
            last_message=last_messages.get(membership.conversation_id),
            unread_count=unread.get(membership.conversation_id, 0),
            peer=peers.get(membership.conversation_id),
            unread_mentions=mentions.get(membership.conversation_id, 0),
        )
        for membership in memberships
    ]


def _unread_counts(user: User, conversation_ids: list[int]):
    """Per conversation: its unread messages and, among them, those that mention the user; one query.

    Never a count of the unread messages themselves (a million for someone far behind in a busy
    group): seqs have no gaps, so the messages after the read position are `last_seq -
    last_read_seq`, less the removed ones among them (a partial index holds only those). None of
    them is the member's own: sending a message reads everything up to it
    (actions.receipts.read_own_message_unchecked), and whoever joins a group starts at its end.
    Mentions are counted from the user's own mention rows, in one pass."""
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
        .join(reader, and_(reader.conversation_id == Message.conversation_id + 0, reader.user_id == user.id))
        .where(MessageMention.user_id == user.id, *unread_messages_filter(user.id, reader))
        .group_by(Message.conversation_id).subquery()
    )
    return (
        db.select(Membership.conversation_id, Conversation.last_seq - Membership.last_read_seq - removed_after_read,
                  func.coalesce(mentions.c.count, 0))
        .join(Conversation, Conversation.id == Membership.conversation_id)
        .outerjoin(mentions, mentions.c.conversation_id == Membership.conversation_id)
        .where(Membership.user_id == user.id, Membership.conversation_id.in_(conversation_ids))
    )


def _direct_peers(user: User, conversation_ids: list[int]) -> dict[int, User]:
    """A direct chat is titled with the other person's name, and shows their picture."""
    if not conversation_ids:
        return {}
    rows = db.session.execute(
        db.select(Membership.conversation_id, User).join(User, User.id == Membership.user_id)
        .where(Membership.conversation_id.in_(conversation_ids),
               Membership.user_id != user.id)
    ).all()
    return {conversation_id: peer for conversation_id, peer in rows}
