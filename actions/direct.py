"""Direct (one-to-one) conversations: exactly one per pair of users."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from actions.access import access_user
from actions.errors import InvalidInput
from actions.payloads import conversation_payload
from extensions import db
from models import Conversation, Membership, User
from realtime import publisher


@dataclass(frozen=True)
class DirectConversation:
    conversation: Conversation
    created: bool


def direct_key(first_user_id: int, second_user_id: int) -> str:
    low, high = sorted((first_user_id, second_user_id))
    return f"{low}:{high}"


def open_direct_conversation(user: User, other_user_id: int) -> DirectConversation:
    """Get the conversation between two users, creating it the first time."""
    if other_user_id == user.id:
        raise InvalidInput("invalid_user_id", "A direct chat needs another user.")
    other = access_user(other_user_id)
    key = direct_key(user.id, other.id)
    existing = _find(key)
    if existing is not None:
        return DirectConversation(existing, created=False)
    conversation = Conversation(kind="direct", direct_key=key, visibility="private", created_by_id=user.id)
    db.session.add(conversation)
    try:
        db.session.flush()
        for member_id in (user.id, other.id):
            db.session.add(Membership(conversation_id=conversation.id, user_id=member_id, role="member"))
        db.session.commit()
    except IntegrityError:
        # Both users opened the chat at once: the other request created it.
        db.session.rollback()
        return DirectConversation(_find(key), created=False)
    for member_id in (user.id, other.id):
        membership = db.session.execute(
            db.select(Membership).where(Membership.conversation_id == conversation.id,
                                        Membership.user_id == member_id)
        ).scalar_one()
        publisher.join_conversation_room(member_id, conversation.id)
        title = other.display_name if member_id == user.id else user.display_name
        publisher.to_user(member_id, "conversation:added",
                          {"conversation": conversation_payload(conversation, membership, title=title)})
    return DirectConversation(conversation, created=True)


def _find(key: str) -> Conversation | None:
    return db.session.execute(db.select(Conversation).where(Conversation.direct_key == key)).scalar_one_or_none()
