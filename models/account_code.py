"""Codes sent to an email address or phone: confirming it at registration, resetting a password.

One row per account and purpose, reused by each resend. Only an HMAC of the code is stored
(actions.codes); the code itself exists in the job that sends it and in the message it sends.
`address` is where the code goes: for a confirmation, the address being confirmed (it is put on
the account only once confirmed); for a reset, the account's confirmed address.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.time import utcnow

PURPOSES = ("confirm", "reset")
CHANNELS = ("email", "phone")


class AccountCode(db.Model):
    __tablename__ = "account_codes"
    __table_args__ = (UniqueConstraint("user_id", "purpose", name="uq_account_codes_user_purpose"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)
    channel: Mapped[str] = mapped_column(String(8), nullable=False)
    address: Mapped[str] = mapped_column(String(254), nullable=False, index=True)
    code_hash: Mapped[str | None] = mapped_column(String(64))  # None until the job has sent one
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # wrong codes tried
    sends: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # codes asked for
    next_send_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    user = relationship("User")
