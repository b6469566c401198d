"""`access_*` loaders: fetch a thing for a user, or refuse. The one home of
"who may read, post or manage here"."""
from __future__ import annotations

from actions.errors import Conflict, Forbidden, NotFound
from extensions import db
from models import Conversation, Membership, Message, User

MANAGER_ROLES = ("owner", "admin")


def access_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        raise NotFound("user_not_found", "No such user.")
    return user


def access_conversation(user: User, conversation_id: int) -> Membership:
    """Members read a conversation; everyone else is refused (403, or 404 if it does not exist)."""
    membership = db.session.execute(
        db.select(Membership).where(
            Membership.conversation_id == conversation_id, Membership.user_id == user.id
        )
    ).scalar_one_or_none()
    if membership is not None:
        return membership
    if db.session.get(Conversation, conversation_id) is None:
        raise NotFound("conversation_not_found", "No such conversation.")
    raise Forbidden("not_a_member", "You are not a member of this conversation.")


def access_conversation_for_posting(user: User, conversation_id: int) -> Membership:
    """Members post, unless the group is archived (read-only)."""
    membership = access_conversation(user, conversation_id)
    if membership.conversation.archived_at is not None:
        raise Forbidden("conversation_archived", "This conversation is archived: nobody can post.")
    return membership


def access_group(conversation_id: int) -> Conversation:
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None or not conversation.is_group:
        raise NotFound("group_not_found", "No such group.")
    return conversation


def access_group_for_managing(user: User, conversation_id: int) -> Membership:
    """The group's owners and admins manage members, names and roles."""
    access_group(conversation_id)
    membership = access_conversation(user, conversation_id)
    if membership.role not in MANAGER_ROLES:
        raise Forbidden("not_a_group_admin", "Only the group's owners and admins can do that.")
    return membership


def access_own_message(user: User, message_id: int) -> Message:
    """Authors edit and delete their own messages, in conversations they still belong to."""
    message = db.session.get(Message, message_id)
    if message is None:
        raise NotFound("message_not_found", "No such message.")
    access_conversation_for_posting(user, message.conversation_id)
    if message.sender_id != user.id:
        raise Forbidden("not_the_author", "Only the author can change this message.")
    if message.is_removed:
        raise Conflict("message_removed", "This message was removed.")
    return message
