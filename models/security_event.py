"""The security log: logins, failed logins, lockouts and other account events, for operators.

Rows are written by `actions.security_log.record_security_event` and removed only by the
retention job (SECURITY_LOG_DAYS); nobody edits them.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.time import utcnow


class SecurityEvent(db.Model):
    __tablename__ = "security_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # login, login_failed, account_locked, lockout_lifted, password_changed, password_reset, session_revoked…
    kind: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    # The account concerned, if there is one (a failed login may name nobody); kept if it is deleted.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # What was typed (a failed login's username, email or phone) or the account's username then.
    username: Mapped[str | None] = mapped_column(String(254), index=True)
    address: Mapped[str | None] = mapped_column(String(64), index=True)
    user_agent: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow, index=True)

    user = relationship("User", foreign_keys=[user_id])

    def __repr__(self) -> str:
        return f"<SecurityEvent {self.id} {self.kind} {self.username}>"
