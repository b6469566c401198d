"""QR-code logins: one row per QR code shown by a waiting login page (actions.qr_login).

The code's token and the ticket it is exchanged for are stored as SHA-256 hashes only. A row
is bound to the Socket.IO connection that asked for it (`socket_id`) and to that browser
(`browser_key`: a hash of its CSRF secret), and goes through these states:

    waiting -> scanned -> approved -> ticketed -> used
       |          |           \\-> (ticket unused: expires)
       |          \\-> refused
       \\-> expired (replaced by the next code, its page gone, or its time up)
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.time import utcnow

QR_LOGIN_STATES = ("waiting", "scanned", "approved", "refused", "ticketed", "used", "expired")


class QrLogin(db.Model):
    __tablename__ = "qr_logins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    socket_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    browser_key: Mapped[str] = mapped_column(String(64), nullable=False)
    user_agent: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    address: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="waiting")
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow, index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    # Who scanned it (then only they may decide), and when they decided.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    ticket_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
