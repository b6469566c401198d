"""The audit log: one row per operator action, append-only.

Rows are only ever inserted. The ORM refuses updates and deletes of loaded rows and
bulk UPDATE/DELETE statements on the table; the migration adds database triggers
that refuse them too, so no code path (nor raw SQL through the app) rewrites history.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from extensions import db
from models.time import utcnow


class AppendOnlyError(Exception):
    """Raised when anything tries to change or remove an audit entry."""


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No ON DELETE: an operator who acted can never be deleted out from under the log.
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    # The actor's username when they acted, so the entry reads the same after a rename.
    actor_name: Mapped[str] = mapped_column(String(32), nullable=False)
    action: Mapped[str] = mapped_column(String(48), nullable=False, index=True)
    target_type: Mapped[str] = mapped_column(String(24), nullable=False)
    target_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow, index=True)

    actor = relationship("User", foreign_keys=[actor_id])

    __table_args__ = (Index("ix_audit_entries_target", "target_type", "target_id"),)

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.actor_name} {self.action} {self.target_type}:{self.target_id}>"


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(_mapper, _connection, entry: AuditEntry) -> None:
    raise AppendOnlyError(f"audit entry {entry.id} cannot be changed: the audit log is append-only")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(_mapper, _connection, entry: AuditEntry) -> None:
    raise AppendOnlyError(f"audit entry {entry.id} cannot be deleted: the audit log is append-only")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state) -> None:
    # Bulk UPDATE/DELETE statements skip the mapper events above.
    if (state.is_update or state.is_delete) and any(m.class_ is AuditEntry for m in state.all_mappers):
        raise AppendOnlyError("audit entries cannot be changed or deleted: the audit log is append-only")
