"""Reports: a user flags a message for the operators' queue."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models.time import utcnow

REASONS = ("spam", "abuse", "other")
STATUSES = ("open", "resolved")
# How an operator settled a report.
RESOLUTIONS = ("message_hidden", "sender_messages_hidden", "sender_deactivated", "dismissed")


class Report(db.Model):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    reason: Mapped[str] = mapped_column(String(8), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(8), nullable=False, default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolution: Mapped[str | None] = mapped_column(String(32))

    message = relationship("Message")
    reporter = relationship("User", foreign_keys=[reporter_id])
    resolved_by = relationship("User", foreign_keys=[resolved_by_id])

    __table_args__ = (
        # One report per person and message: reporting twice does not push it up the queue.
        UniqueConstraint("message_id", "reporter_id", name="uq_reports_message_reporter"),
        Index("ix_reports_status_created_at", "status", "created_at"),
        # AUTOINCREMENT on SQLite: a report gone with its group's messages never lends its id (migration 0022).
        {"sqlite_autoincrement": True},
    )

    @hybrid_property
    def is_open(self) -> bool:
        """Waiting for an operator: on a row, a bool; on the class, the condition a query filters by (the one
        home of "open", for the queue's count, a message's open reports and its kept evidence)."""
        return self.status == "open"

    def __repr__(self) -> str:
        return f"<Report {self.id} message={self.message_id} {self.reason} {self.status}>"
