"""Exports for operators: users, one conversation's messages, the audit log; CSV or JSON.

Rows are built from an explicit list of columns, so nothing secret (password hashes,
token hashes) can slip into a file. Each export is itself recorded in the audit log.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass

from actions.access import access_operator
from actions.audit import record
from actions.errors import NotFound
from actions.validation import check_choice
from events import atomic
from extensions import db
from models import AuditEntry, Conversation, Message, User
from models.time import isoformat

FORMATS = ("csv", "json")
USER_COLUMNS = ("id", "username", "display_name", "email", "phone", "role", "active", "must_change_password",
                "created_at", "last_seen_at", "deactivated_at")
MESSAGE_COLUMNS = ("id", "conversation_id", "seq", "sender_id", "sender", "kind", "body", "attachment_id",
                   "created_at", "edited_at", "deleted_at", "hidden_at", "hidden_by_id")
AUDIT_COLUMNS = ("id", "created_at", "actor_id", "actor_name", "action", "target_type", "target_id", "before",
                 "after")
# Spreadsheets run cells that start like a formula; a leading quote keeps them text (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Export:
    filename: str
    content_type: str
    content: str


@atomic()
def export_users(operator: User, file_format: str) -> Export:
    """Every account, deactivated ones included."""
    operator = access_operator(operator)
    file_format = check_choice(file_format, "format", FORMATS)
    users = db.session.execute(db.select(User).order_by(User.id)).scalars()
    rows = [{column: getattr(user, column) for column in USER_COLUMNS} for user in users]
    return _export(operator, "export.users", "users", None, "users", USER_COLUMNS, rows, file_format)


@atomic()
def export_conversation_messages(operator: User, conversation_id: int, file_format: str) -> Export:
    """Every message of one conversation in order, removed ones included (operators need no membership)."""
    operator = access_operator(operator)
    file_format = check_choice(file_format, "format", FORMATS)
    if db.session.get(Conversation, conversation_id) is None:
        raise NotFound("conversation_not_found", "No such conversation.")
    messages = db.session.execute(
        db.select(Message).where(Message.conversation_id == conversation_id).order_by(Message.seq)
    ).scalars()
    rows = [{**{column: getattr(message, column) for column in MESSAGE_COLUMNS if column != "sender"},
             "sender": message.sender.username if message.sender else None} for message in messages]
    return _export(operator, "export.messages", "conversation", conversation_id,
                   f"conversation-{conversation_id}-messages", MESSAGE_COLUMNS, rows, file_format)


@atomic()
def export_audit_log(operator: User, file_format: str) -> Export:
    """The whole audit log, oldest first."""
    operator = access_operator(operator)
    file_format = check_choice(file_format, "format", FORMATS)
    entries = db.session.execute(db.select(AuditEntry).order_by(AuditEntry.id)).scalars()
    rows = [{column: getattr(entry, column) for column in AUDIT_COLUMNS} for entry in entries]
    return _export(operator, "export.audit_log", "audit_log", None, "audit-log", AUDIT_COLUMNS, rows, file_format)


def _export(operator: User, action: str, target_type: str, target_id: int | None, name: str,
            columns: tuple[str, ...], rows: list[dict], file_format: str) -> Export:
    rows = [{column: _plain(row[column]) for column in columns} for row in rows]
    record(operator, action, target_type, target_id, None, {"format": file_format, "rows": len(rows)})
    if file_format == "json":
        return Export(f"{name}.json", "application/json", json.dumps(rows, ensure_ascii=False, indent=1))
    return Export(f"{name}.csv", "text/csv; charset=utf-8", to_csv(columns, rows))


def to_csv(columns: Iterable[str], rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns))
    writer.writeheader()
    for row in rows:
        writer.writerow({column: _csv_cell(value) for column, value in row.items()})
    return buffer.getvalue()


def _plain(value):
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return isoformat(value)
    return value


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
