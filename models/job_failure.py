"""Jobs that failed: one row per job run that raised, kept for the operators' Jobs panel.

Written by the job consumer (jobs.failures) from Huey's signals: `retrying` while retries
remain, `failed` once they are spent, `recovered` when a later retry succeeded, `requeued`
when an operator ran it again. Huey keeps the jobs themselves; this keeps what went wrong.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models.time import utcnow

FAILURE_STATUSES = ("retrying", "failed", "recovered", "requeued")


class JobFailure(db.Model):
    __tablename__ = "job_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)  # Huey's, the same across retries
    job_name: Mapped[str] = mapped_column(String(200), nullable=False)
    arguments: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # runs that raised
    error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    traceback: Mapped[str] = mapped_column(Text, nullable=False, default="")
    first_failed_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    last_failed_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)

    # AUTOINCREMENT on SQLite: a dismissed failure's id, named by its audit entries and by an operator's
    # page still open on it, never goes to the next failure (migration 0022).
    __table_args__ = (Index("ix_job_failures_status_last_failed_at", "status", "last_failed_at"),
                      {"sqlite_autoincrement": True})

    def __repr__(self) -> str:
        return f"<JobFailure {self.id} {self.job_name} {self.status} x{self.attempts}>"
