"""What the back office's per-user page shows of one account: its recent messages, the reports it
made and those about its messages, its login sessions, and the audit entries about it (and, for an
operator, those it wrote). Reads only; operators only."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_

from actions.access import access_operator
from actions.sessions import list_sessions
from actions.user_admin import get_account
from extensions import db
from long_reads import long_read
from models import AuditEntry, Conversation, Message, Report, User
from models.login_session import LoginSession

RECENT = 20


@dataclass(frozen=True)
class AccountOverview:
    user: User
    messages: list[Message]  # newest first, hidden and deleted ones included (moderation links)
    conversations: dict[int, Conversation]  # those of the messages, by id (loaded in one query)
    reports_made: list[Report]
    reports_received: list[Report]  # about the account's messages
    sessions: list[LoginSession]
    audit_entries: list[AuditEntry]  # about the account, or done by it, newest first


def account_overview(operator: User, user_id: int, limit: int = RECENT) -> AccountOverview:
    """One account as the back office sees it (the newest `limit` of each list)."""
    access_operator(operator)
    user = get_account(user_id)
    newest = db.select(Message).where(Message.sender_id == user.id).order_by(Message.id.desc()).limit(limit)
    made = db.select(Report).where(Report.reporter_id == user.id).order_by(Report.id.desc()).limit(limit)
    received = (db.select(Report).join(Message, Message.id == Report.message_id)
                .where(Message.sender_id == user.id).order_by(Report.id.desc()).limit(limit))
    audit = (db.select(AuditEntry)
             .where(or_(AuditEntry.actor_id == user.id,
                        (AuditEntry.target_type == "user") & (AuditEntry.target_id == user.id)))
             .order_by(AuditEntry.id.desc()).limit(limit))
    # A sender's newest messages: by the (sender, client_id) index, then sorted; for an account that wrote
    # half a million, a long read (long_reads.py: off the event loop on SQLite).
    messages = list(db.session.execute(long_read(newest)).scalars())
    # The page names each message's conversation: one query for all, not one per conversation.
    conversations = db.select(Conversation).where(Conversation.id.in_({message.conversation_id
                                                                      for message in messages}))
    return AccountOverview(user=user, messages=messages,
                           conversations={found.id: found for found in db.session.execute(conversations).scalars()},
                           reports_made=list(db.session.execute(made).scalars()),
                           reports_received=list(db.session.execute(received).scalars()),
                           sessions=list_sessions(user), audit_entries=list(db.session.execute(audit).scalars()))
