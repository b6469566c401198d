"""Broadcasts: operators send service messages to everyone, to a group's members, or to one user.

A message to everyone (or to one user) lands in each recipient's own "Switchboard" notices
conversation, the way Slack's Slackbot or Rocket.Chat's rocket.cat direct messages work: it
is read-only (archived, so nobody can post into it), has the user as its only member, and
shows up in their conversation list and history like any chat. A group broadcast is a
system message in the group itself. Every message is stored, so whoever is offline finds
it in their history; whoever is online gets it live (`message:new`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

from actions.access import access_operator, get_active_user, get_group
from actions.audit import record
from actions.messages import post_system_message
from actions.validation import check_string
from events import atomic, queue_event
from events.facts import ConversationJoined
from extensions import db
from models import Conversation, Membership, Message, User
from models.database import insert_unless_exists
from models.time import utcnow

NOTICES_NAME = "Switchboard"
NOTICES_DESCRIPTION = "Notices from the Switchboard operators"


@dataclass(frozen=True)
class Broadcast:
    messages: list[Message]  # one per conversation it was posted in

    @property
    def recipients(self) -> int:
        return len(self.messages)


def notices_key(user_id: int) -> str:
    return f"notices:{user_id}"


@atomic()
def notices_conversation(user: User) -> Conversation:
    """The user's read-only notices conversation, created (and announced to them) the first time."""
    key = notices_key(user.id)
    existing = _find_notices(key)
    if existing is not None:
        return existing
    # Two broadcasts may create it at the same moment: one insert wins, the other finds it.
    if not insert_unless_exists(Conversation, "direct_key", kind="direct", direct_key=key, name=NOTICES_NAME,
                                description=NOTICES_DESCRIPTION, visibility="private", archived_at=utcnow()):
        return _find_notices(key)
    conversation = _find_notices(key)
    db.session.add(Membership(conversation_id=conversation.id, user_id=user.id, role="member"))
    queue_event(ConversationJoined(user.id, conversation.id))
    return conversation


@atomic()
def broadcast_to_everyone(operator: User, body: object) -> Broadcast:
    """A notice to every active account."""
    operator = access_operator(operator)
    body = _check_body(body)
    recipients = list(db.session.execute(
        db.select(User).where(User.active.is_(True)).order_by(User.id)
    ).scalars())
    return _post_notices(recipients, body, lambda: record(operator, "broadcast.everyone", "everyone", None, None,
                                                          {"body": body, "recipients": len(recipients)}))


@atomic()
def send_notice(operator: User, user_id: int, body: object) -> Broadcast:
    """A notice to one active account."""
    operator = access_operator(operator)
    body = _check_body(body)
    user = get_active_user(user_id)
    return _post_notices([user], body, lambda: record(operator, "broadcast.user", "user", user.id, None,
                                                      {"body": body}))


@atomic()
def broadcast_to_group(operator: User, conversation_id: int, body: object) -> Broadcast:
    """A system message in a group: its members see it live and in the group's history."""
    operator = access_operator(operator)
    body = _check_body(body)
    group = get_group(conversation_id)
    record(operator, "broadcast.group", "group", group.id, None, {"body": body})
    return Broadcast(messages=[post_system_message(group.id, body)])


def _post_notices(recipients: list[User], body: str, record_entry: Callable[[], object]) -> Broadcast:
    conversations = [notices_conversation(user) for user in recipients]
    record_entry()
    return Broadcast(messages=[post_system_message(conversation.id, body) for conversation in conversations])


def _check_body(body: object) -> str:
    return check_string(body, "body", max_length=current_app.config["MESSAGE_MAX_LENGTH"])


def _find_notices(key: str) -> Conversation | None:
    return db.session.execute(db.select(Conversation).where(Conversation.direct_key == key)).scalar_one_or_none()
