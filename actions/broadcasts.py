"""Broadcasts: operators send service messages to everyone, to a group's members, or to one user.

A message to everyone (or to one user) lands in each recipient's own "Switchboard" notices
conversation, the way Slack's Slackbot or Rocket.Chat's rocket.cat direct messages work: it
is read-only (archived, so nobody can post into it), has the user as its only member, and
shows up in their conversation list and history like any chat. A group broadcast is a
system message in the group itself. Every message is stored, so whoever is offline finds
it in their history; whoever is online gets it live (`message:new`).

A broadcast to everyone is audited in the operator's request and delivered by a job
(`deliver_broadcast`), BROADCAST_CHUNK accounts per transaction, so no request or
transaction grows with the number of accounts.

A broadcast sent from a form carries the form's one-time token (`once`, admin/broadcasts.py), one from the
admin API its `Idempotency-Key` header: it is stored in the broadcast's audit entry, and a second broadcast
of the operator's with the same token (the form sent twice: a double click, the browser sending it again; a
program retrying after a timeout) is refused with `broadcast_already_sent`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func

from actions.access import access_operator, check_group_open, get_group, hold_active_user
from actions.audit import record
from actions.errors import Conflict, InvalidInput
from actions.messages import post_system_message
from actions.validation import check_message_body
from events import atomic, queue_event
from events.facts import ConversationJoined
from extensions import db
from jobs import enqueue_on_commit, job
from models import AuditEntry, Conversation, Membership, Message, User
from models.database import begin_writing, insert_unless_exists
from models.time import utcnow

NOTICES_NAME = "Switchboard"
NOTICES_DESCRIPTION = "Notices from the Switchboard operators"
BROADCAST_CHUNK = 200  # accounts per transaction of deliver_broadcast
BROADCAST_ACTIONS = ("broadcast.everyone", "broadcast.group", "broadcast.user")
# What the broadcast page's one-time token is made of (secrets.token_urlsafe): anything else the form brings
# back (a NUL, which PostgreSQL cannot compare or store) is no token.
FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class Broadcast:
    messages: list[Message]  # one per conversation it was posted in

    @property
    def recipients(self) -> int:
        return len(self.messages)


@dataclass(frozen=True)
class QueuedBroadcast:
    """A broadcast to everyone, audited and queued: the job posts the notices."""

    entry: AuditEntry
    recipients: int  # active accounts when it was sent


NOTICES_KEY_PREFIX = "notices:"  # a notices conversation's direct_key: this, then its user's id


def notices_key(user_id: int) -> str:
    return f"{NOTICES_KEY_PREFIX}{user_id}"


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
def broadcast_to_everyone(operator: User, body: object, once: str | None = None) -> QueuedBroadcast:
    """A notice to every findable account (User.findable: as send_notice's one; not an account deactivated,
    suspended or never confirmed): audited now, posted by a job once this commits."""
    operator = access_operator(operator)
    body = check_message_body(body)
    refuse_sent_before(operator, once)
    recipients, last_user_id = db.session.execute(
        db.select(func.count(User.id), func.max(User.id)).where(User.findable)
    ).one()
    entry = record(operator, "broadcast.everyone", "everyone", None, None,
                   {"body": body, "recipients": recipients, **_once(once)})
    db.session.flush()
    # Accounts created after this moment are not "everyone" of this broadcast.
    enqueue_on_commit(deliver_broadcast, entry.id, 0, last_user_id or 0)
    return QueuedBroadcast(entry=entry, recipients=recipients)


@job()
def deliver_broadcast(entry_id: int, after_user_id: int, last_user_id: int) -> None:
    """Job: post an everyone-broadcast to the next BROADCAST_CHUNK findable accounts with ids in
    (after_user_id, last_user_id], then queue the rest. Safe to run twice: an account whose
    notices already hold this broadcast (its client_id) is skipped."""
    entry = db.session.get(AuditEntry, entry_id)
    users = list(db.session.execute(
        db.select(User).where(User.findable, User.id > after_user_id, User.id <= last_user_id)
        .order_by(User.id).limit(BROADCAST_CHUNK + 1)
    ).scalars())
    if entry is None or not users:
        return
    users, more = users[:BROADCAST_CHUNK], len(users) > BROADCAST_CHUNK
    key = f"broadcast:{entry.id}"
    conversations = [notices_conversation(user) for user in users]
    delivered = set(db.session.execute(
        db.select(Message.conversation_id).where(Message.conversation_id.in_([c.id for c in conversations]),
                                                 Message.client_id == key)
    ).scalars())
    for conversation in conversations:
        if conversation.id not in delivered:
            post_system_message(conversation.id, entry.after["body"], client_id=key)
    if more:
        enqueue_on_commit(deliver_broadcast, entry.id, users[-1].id, last_user_id)


@atomic()
def send_notice(operator: User, user_id: int, body: object, once: str | None = None) -> Broadcast:
    """A notice to one findable account (User.findable)."""
    operator = access_operator(operator)
    body = check_message_body(body)
    user = hold_active_user(user_id)
    refuse_sent_before(operator, once)
    conversation = notices_conversation(user)
    record(operator, "broadcast.user", "user", user.id, None, {"body": body, **_once(once)})
    return Broadcast(messages=[post_system_message(conversation.id, body)])


@atomic()
def broadcast_to_group(operator: User, conversation_id: int, body: object, once: str | None = None) -> Broadcast:
    """A system message in a group: its members see it live and in the group's history. Not in an archived
    group (one being deleted included), where nobody posts: unarchive it first, as in Slack."""
    operator = access_operator(operator)
    body = check_message_body(body)
    group = get_group(conversation_id)
    check_group_open(group)
    refuse_sent_before(operator, once)
    record(operator, "broadcast.group", "group", group.id, None, {"body": body, **_once(once)})
    return Broadcast(messages=[post_system_message(group.id, body)])


def refuse_sent_before(operator: User, once: str | None) -> None:
    """A broadcast whose form token `once` an earlier broadcast of this operator's carried is the same
    form sent again: refused (409 `broadcast_already_sent`). The operator's row is locked first (on SQLite,
    the write lock), so of two sent at the same moment the second waits for the first and finds it."""
    once = _form_token(once)
    if not once:
        return
    begin_writing(db.session.connection())
    # FOR NO KEY UPDATE, as actions.user_admin._hold_operators: rows that only refer to the operator need not wait.
    db.session.execute(db.select(User.id).where(User.id == operator.id).with_for_update(key_share=True))
    sent = db.session.execute(
        db.select(AuditEntry.id).where(AuditEntry.actor_id == operator.id, AuditEntry.action.in_(BROADCAST_ACTIONS),
                                       AuditEntry.after["once"].as_string() == once).limit(1)
    ).first()
    if sent is not None:
        raise Conflict("broadcast_already_sent",
                       "This broadcast was sent already: the same form, or the same Idempotency-Key, sent again.")


def check_idempotency_key(key: str | None) -> str | None:
    """The admin API's `Idempotency-Key` header, a broadcast's `once` as the form's token is: None when absent.
    One that is no token is refused (400 `invalid_idempotency_key`), not ignored as a form's is: the caller
    would retry believing the broadcast protected."""
    if key is None:
        return None
    if _form_token(key) is None:
        raise InvalidInput("invalid_idempotency_key",
                           "Idempotency-Key must be 1 to 64 letters, digits, '-' or '_' (a UUID, say).")
    return key


def _once(once: str | None) -> dict:
    once = _form_token(once)
    return {"once": once} if once else {}


def _form_token(once: object) -> str | None:
    return once if isinstance(once, str) and FORM_TOKEN.fullmatch(once) else None


def _find_notices(key: str) -> Conversation | None:
    return db.session.execute(db.select(Conversation).where(Conversation.direct_key == key)).scalar_one_or_none()
