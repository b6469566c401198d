"""The one home of "who may": who is an operator, who may read, post or manage here.

`access_*` load a thing for a caller and authorize, or refuse (403, or 404 when it does not
exist); `is_operator` is the one test of operator-ness, for callers that only branch on it.
The `get_*` here only load (404 when missing) and decide nothing: the rules below build on
them, and so do actions whose callers authorized already.
"""
from __future__ import annotations

import re

from flask import current_app

from actions.errors import Conflict, Forbidden, NotFound
from extensions import db
from models import ApiToken, Conversation, Membership, Message, User
from models.login_session import LoginSession

MANAGER_ROLES = ("owner", "admin")  # of a group's members, not of the service
OPERATOR_ROLE = "admin"  # of an account: the service's operators
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")  # what actions.sessions makes; anything else names no session


def is_operator(user: User | None) -> bool:
    """Active, logged-in accounts with the admin role are operators; nobody else."""
    return (user is not None and getattr(user, "is_authenticated", False) and user.active
            and user.role == OPERATOR_ROLE)


def access_operator(user: User | None) -> User:
    """The caller, if an operator (the back office, the admin API, every operator action); else 403."""
    if not is_operator(user):
        raise Forbidden("not_an_operator", "Only operators can do that.")
    return user


def get_active_user(user_id: int) -> User:
    """An active account (to add, message or notify); deactivated ones are not found."""
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


def get_group(conversation_id: int) -> Conversation:
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None or not conversation.is_group:
        raise NotFound("group_not_found", "No such group.")
    return conversation


def access_group_for_managing(user: User, conversation_id: int) -> Membership:
    """The group's owners and admins manage members, names and roles."""
    get_group(conversation_id)
    membership = access_conversation(user, conversation_id)
    if membership.role not in MANAGER_ROLES:
        raise Forbidden("not_a_group_admin", "Only the group's owners and admins can do that.")
    return membership


def access_user_for_adding(user: User, user_id: int) -> User:
    """An active user whom `user` may put in a group: anyone (GROUP_ADD_POLICY=anyone, as in most chat
    apps), or with GROUP_ADD_POLICY=nobody only themselves — people then join public groups on their
    own, and operators add them from the back office (actions.group_admin does not come here)."""
    added = get_active_user(user_id)
    if added.id != user.id and current_app.config["GROUP_ADD_POLICY"] == "nobody":
        raise Forbidden("cannot_add_user", "People here join groups themselves: nobody can add them.")
    return added


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


def access_own_session(user: User, session_id: object) -> LoginSession:
    """People end their own login sessions only; another's, an ended one or a made-up id are not found
    (the same answer, so ids cannot be probed)."""
    well_formed = isinstance(session_id, str) and SESSION_ID.fullmatch(session_id)
    login_session = db.session.get(LoginSession, session_id) if well_formed else None
    if login_session is None or login_session.user_id != user.id or login_session.ended_at is not None:
        raise NotFound("session_not_found", "No such session.")
    return login_session


def access_own_token(user: User, token_id: object) -> ApiToken:
    """People revoke their own API tokens only; another's or a revoked one are not found."""
    token = db.session.get(ApiToken, token_id) if isinstance(token_id, int) and not isinstance(token_id, bool) else None
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound("token_not_found", "No such token.")
    return token
