"""The security log: who logged in (how, from where, with which browser), who failed, which
accounts were locked and unlocked, passwords changed and sessions ended. Operators read it in
the back office (admin/security_log.py); the job below forgets rows after SECURITY_LOG_DAYS.

`record_security_event` adds its row to the caller's unit, so it is stored with the change it
describes (a login, a password change) or not at all. A refusal's row (a failed login, a lock)
must outlive the refused request, whose unit rolls back: `record_refusal` writes it in a
transaction of its own.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app, has_request_context, request

from actions.validation import printable_line
from events import atomic
from extensions import db
from jobs.registry import crontab, job
from models import SecurityEvent, User
from models.time import utcnow

log = logging.getLogger(__name__)

KINDS = ("login", "login_failed", "account_locked", "lockout_lifted", "password_changed", "password_reset",
         "logout", "session_revoked")


def record_security_event(kind: str, user: User | None = None, username: str | None = None,
                          address: str | None = None, detail: str | None = None) -> SecurityEvent:
    """Add a row to the open unit. `address` and the user agent default to the current request's."""
    event = SecurityEvent(**_fields(kind, user, username, address, detail))
    db.session.add(event)
    return event


def record_refusal(kind: str, user: User | None = None, username: str | None = None,
                   address: str | None = None, detail: str | None = None) -> None:
    """The same, committed at once in a transaction of its own: the refused request rolls back."""
    try:
        with db.engine.begin() as connection:
            connection.execute(db.insert(SecurityEvent).values(**_fields(kind, user, username, address, detail)))
    except Exception:  # noqa: BLE001  (the refusal stands even if the log cannot be written)
        log.warning("could not write the security event %s of %s", kind, username, exc_info=True)


def _fields(kind: str, user: User | None, username: str | None, address: str | None, detail: str | None) -> dict:
    user_agent = None
    if has_request_context():
        address = address or request.remote_addr
        user_agent = request.user_agent.string
    return {"kind": kind, "user_id": user.id if user is not None else None,
            "username": printable_line(username if username is not None else (user.username if user else None), 254),
            "address": printable_line(address, 64), "user_agent": printable_line(user_agent, 255),
            "detail": printable_line(detail, 255), "created_at": utcnow()}


@atomic()
def prune_security_log() -> int:
    """Delete the rows older than SECURITY_LOG_DAYS (0: keep them all); returns how many."""
    days = current_app.config["SECURITY_LOG_DAYS"]
    if days <= 0:
        return 0
    cutoff = utcnow() - timedelta(days=days)
    return db.session.execute(db.delete(SecurityEvent).where(SecurityEvent.created_at < cutoff)).rowcount


@job(periodic=crontab(minute="17"))
def prune_security_log_hourly() -> None:
    """Job, every hour: forget security events past their retention. Safe to run twice."""
    prune_security_log()
