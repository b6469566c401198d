"""Direct (one-to-one) conversations: exactly one per pair of users."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select

from actions.access import check_may_message_directly, hold_active_user
from actions.broadcasts import NOTICES_KEY_PREFIX
from actions.errors import InvalidInput
from events import atomic, queue_event
from events.facts import ConversationJoined, ConversationUpdated
from extensions import db
from models import Conversation, Membership, User
from models.database import insert_unless_exists
from models.time import utcnow


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
    other = hold_active_user(other_user_id)
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


def close_direct_chats_of_deleted_unchecked(user_ids: Select) -> None:
    """Before the accounts `user_ids` (a select of their ids) are deleted: their direct chats become
    read-only for the person left (archived: nobody writes to nobody, as WhatsApp's "Deleted account"),
    keep their messages, and lose their key, which names the pair: nobody of the pair is in it any more,
    so the key would only hold back a chat between the one left and whoever comes next under that id
    (migration 0023 repaired the chats where that had happened). Their own notices conversations go
    with them as they are. Decides nothing: the caller deletes the accounts, locked."""
    chats = db.session.execute(db.select(Conversation).join(Membership).where(
        Conversation.kind == "direct", ~Conversation.direct_key.startswith(NOTICES_KEY_PREFIX),
        Membership.user_id.in_(user_ids))).scalars().unique().all()
    for chat in chats:
        chat.direct_key = None
        if chat.archived_at is None:
            chat.archived_at = utcnow()
            queue_event(ConversationUpdated(chat.id))
