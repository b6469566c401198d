"""Web Push as an adapter of the event path (events.dispatch): new messages to offline members.

`prepare` (the transaction still open) finds, for each new message from a person, the
subscriptions of the other members who would be notified: not muted, or mentioned, and not
blocking the sender. `deliver`
(after commit) leaves out everyone with a live socket on any process (realtime.presence: Redis
when configured) and enqueues one job per remaining subscription (actions.web_push
send_message_push): the request never waits for a push service. System messages (notices,
broadcasts, often released by the job consumer, which holds no sockets) are not pushed.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence

from flask import Flask
from sqlalchemy import Select, bindparam, or_

from actions.access import blockers_of
from actions.web_push import send_message_push
from events import facts as f
from extensions import db
from jobs.queue import job_queue
from models import Membership, Message, MessageMention, PushSubscription
from realtime.presence import presence

log = logging.getLogger(__name__)


class WebPushAdapter:
    def __init__(self, app: Flask) -> None:
        self.app = app

    def prepare(self, facts: Sequence[f.Fact]) -> list[tuple[int, list[tuple[int, int]]]]:
        """[(message_id, [(subscription_id, user_id), …])] for the new messages of these facts."""
        prepared = []
        for fact in facts:
            if not isinstance(fact, f.MessageCreated):
                continue
            message = db.session.get(Message, fact.message_id)
            if message is None or message.sender_id is None:
                continue
            targets = self._targets(message)
            if targets:
                prepared.append((message.id, targets))
        return prepared

    def _targets(self, message: Message) -> list[tuple[int, int]]:
        rows = db.session.connection().execute(  # Core: the connection's own execute (actions.messages._store)
            TARGETS, {"conversation_id": message.conversation_id, "sender_id": message.sender_id,
                      "message_id": message.id})
        return [(row.id, row.user_id) for row in rows]

    def deliver(self, prepared: list[tuple[int, list[tuple[int, int]]]]) -> None:
        if not prepared:
            return
        with self.app.app_context():
            queue = job_queue()
            for message_id, targets in prepared:
                offline = {user for _, user in targets} - online_among({user for _, user in targets})
                for subscription_id, user_id in targets:
                    if user_id in offline:
                        queue.enqueue(send_message_push, subscription_id, message_id)


def _targets_statement() -> Select:
    """The subscriptions of the members a new message may be pushed to. Built once, with the message's
    values as parameters: building it for every message cost as much as running it (issue 15); on the
    tables, not the mapped classes: a Core statement skips the ORM's compile step at every run
    (60 -> 37 µs of CPU a message in a loop)."""
    sender_id, message_id = bindparam("sender_id"), bindparam("message_id")
    subscriptions, members = PushSubscription.__table__, Membership.__table__
    mentions = MessageMention.__table__.c
    mentioned = db.select(mentions.user_id).where(mentions.message_id == message_id)
    # Muting silences everything but mentions (and `@all`, stored as a mention of each member).
    return (db.select(subscriptions.c.id, subscriptions.c.user_id)
            .join_from(subscriptions, members, members.c.user_id == subscriptions.c.user_id)
            .where(members.c.conversation_id == bindparam("conversation_id"),
                   members.c.user_id != sender_id,
                   members.c.user_id.not_in(blockers_of(sender_id)),  # the page hides their messages
                   or_(members.c.muted.is_(False), members.c.user_id.in_(mentioned)))
            .order_by(subscriptions.c.id))


TARGETS = _targets_statement()


def online_among(user_ids: set[int]) -> set[int]:
    """Those with a live connection on any process: one look at presence for them all."""
    try:
        return presence.online_user_ids() & user_ids
    except Exception:  # Redis unavailable: presence answers with this process's connections
        return {user_id for user_id in user_ids if presence.is_online(user_id)}


def init_web_push(app: Flask) -> None:
    """Register the adapter with the app's dispatcher (after the job queue and presence exist)."""
    app.extensions["events"].register(WebPushAdapter(app))
