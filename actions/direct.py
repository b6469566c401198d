"""Direct (one-to-one) conversations: exactly one per pair of users."""
from __future__ import annotations

from dataclasses import dataclass

from actions.access import check_may_message_directly, get_active_user
from actions.errors import InvalidInput
from events import atomic, queue_event
from events.facts import ConversationJoined
from extensions import db
from models import Conversation, Membership, User
from models.database import insert_unless_exists


@dataclass(frozen=True)
class DirectConversation:
    conversation: Conversation
    created: bool


def direct_key(first_user_id: int, second_user_id: int) -> str:
    low, high = sorted((first_user_id, second_user_id))
    return f"{low}:{high}"


@atomic()
def open_direct_conversation(user: User, other_user_id: int) -> DirectConversation:
    """Get the conversation between two users, creating it the first time."""
    if other_user_id == user.id:
        raise InvalidInput("invalid_user_id", "A direct chat needs another user.")
    other = get_active_user(other_user_id)
    key = direct_key(user.id, other.id)
    existing = _find(key)
    if existing is not None:
        return DirectConversation(existing, created=False)
    check_may_message_directly(user, other.id)  # starting one: blocks and the other's privacy decide
    # Both users may open the chat at the same moment: one insert wins, the other finds it.
    if not insert_unless_exists(Conversation, "direct_key", kind="direct", direct_key=key, visibility="private",
                                created_by_id=user.id, description=""):
        return DirectConversation(_find(key), created=False)
    conversation = _find(key)
    for member_id in (user.id, other.id):
        db.session.add(Membership(conversation_id=conversation.id, user_id=member_id, role="member"))
        queue_event(ConversationJoined(member_id, conversation.id))
    return DirectConversation(conversation, created=True)


def _find(key: str) -> Conversation | None:
    return db.session.execute(db.select(Conversation).where(Conversation.direct_key == key)).scalar_one_or_none()
