"""Two-factor authentication: a TOTP secret per user (RFC 6238) and single-use recovery codes.

A row of `two_factor` with no `enabled_at` is an enrolment not yet confirmed with a code. Its secret is sealed.
Recovery codes are random (60 bits) and stored as SHA-256 hashes only.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.time import utcnow


class TwoFactor(db.Model):
    __tablename__ = "two_factor"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # The base32 secret authenticator apps read, sealed with a key kept out of the database (actions/sealed_secrets.py:
    # a Fernet token, 140 characters); rows written before migration 0028 hold it plain until it is sealed.
    secret: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    enabled_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The last 30-second step whose code was accepted: that code, and every earlier one, is refused.
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(db.Model):
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
