"""The operators' log: the record of what they did.

Every operator action calls `actions.access.access_operator` first and `record` before its
commit, so the change and its audit entry land in the same transaction (or neither does). What changed
nothing (a form saved as it was) records nothing.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from extensions import db
from models import AuditEntry, User
from models.time import isoformat


def record(operator: User, action: str, target_type: str, target_id: int | None,
           before: dict | None = None, after: dict | None = None) -> AuditEntry | None:
    """Add an audit entry to the open transaction; the caller's commit stores it with the change.
    A change whose after is its before (a form saved unchanged) changed nothing: no entry (None)."""
    before, after = _plain(before), _plain(after)
    if before is not None and before == after:
        return None
    entry = AuditEntry(actor_id=operator.id, actor_name=operator.username, action=action,
                       target_type=target_type, target_id=target_id, before=before, after=after)
    db.session.add(entry)
    return entry


def snapshot(thing: Any, fields: Iterable[str]) -> dict:
    """The named attributes of a model as JSON-ready values (for before/after)."""
    return {field: _plain(getattr(thing, field)) for field in fields}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(item) for item in value]
    return value


def entries_for(target_type: str, target_id: int | None) -> list[AuditEntry]:
    """Every audit entry about one target, oldest first."""
    return list(db.session.execute(
        db.select(AuditEntry).where(AuditEntry.target_type == target_type, AuditEntry.target_id == target_id)
        .order_by(AuditEntry.id)
    ).scalars())
