"""Failed logins of one login name, and its lock (actions/lockout.py decides; this only stores)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db


class LoginLockout(db.Model):
    __tablename__ = "login_lockouts"

    # One row per login name that failed a login lately, whether an account has it or not (so that
    # an unknown name locks as a known one does): a hash of the name as typed, normalized
    # (actions.lockout.login_name_key). Made at its first failure; deleted a quiet day later.
    name_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    # Failures since the last successful login or the last lock.
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # How many locks in a row: each doubles the next one's length; forgotten after a quiet day.
    level: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
