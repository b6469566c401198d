"""Failed logins of one account, and its lock (actions/lockout.py decides; this only stores)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db


class AccountLockout(db.Model):
    __tablename__ = "account_lockouts"

    # One row per account that ever failed a login; made at its first failure.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # Failures since the last successful login or the last lock.
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # How many locks in a row: each doubles the next one's length; forgotten after a quiet day.
    level: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime)
