"""Login sessions: one row per login of a browser (or app), the server's record of it.

The browser holds the row's id in its signed session cookie, and a remember token (only its
hash is stored here) in a long-lived cookie that resumes this same session after a restart.
A session works while it is not ended, has been used within SESSION_IDLE_DAYS and is younger
than SESSION_MAX_DAYS (actions.sessions decides); ending it is final.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.time import utcnow

LOGIN_METHODS = ("password", "code", "qr", "token")


class LoginSession(db.Model):
    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random; the `session:<id>` room
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    method: Mapped[str] = mapped_column(String(16), nullable=False)  # how it logged in: LOGIN_METHODS
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    device: Mapped[str] = mapped_column(String(128), nullable=False)  # "Firefox on Linux", from the user agent
    remember_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # sha256 of the remember token
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    ended_reason: Mapped[str | None] = mapped_column(String(32))

    user = relationship("User")

    __table_args__ = (Index("ix_login_sessions_user_id_ended_at", "user_id", "ended_at"),)

    def __repr__(self) -> str:
        return f"<LoginSession {self.id} of user {self.user_id}>"
