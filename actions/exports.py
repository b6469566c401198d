"""Exports for operators: users, one conversation's messages, the audit log; CSV or JSON.

Rows are built from an explicit list of columns, so nothing secret (password hashes,
token hashes) can slip into a file. Each export is itself recorded in the audit log.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func

from actions.access import access_operator
from actions.audit import record
from actions.errors import NotFound
from actions.validation import check_choice
from events import atomic
from extensions import db
from long_reads import long_read
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


# Rows read, and written out, at a time: an export of a million messages is sent as it is read, one page
# after the other (each a long read: long_reads.py), never held whole in memory or read in one statement.
PAGE_ROWS = 1_000


@dataclass(frozen=True)
class Export:
    filename: str
    content_type: str
    chunks: Iterator[str]  # the file, piece by piece, read as it is sent

    @property
    def content(self) -> str:
        """The whole file at once (small exports, tests): reads every page now."""
        return "".join(self.chunks)


@atomic()
def export_users(operator: User, file_format: str) -> Export:
    """Every account, deactivated ones included."""
    operator = access_operator(operator)
    file_format = check_choice(file_format, "format", FORMATS)
    columns = [getattr(User, column) for column in USER_COLUMNS]
    return _export(operator, "export.users", "users", None, "users", USER_COLUMNS, file_format,
                   db.select(*columns), User.id)


@atomic()
def export_conversation_messages(operator: User, conversation_id: int, file_format: str) -> Export:
    """Every message of one conversation in order, removed ones included (operators need no membership)."""
    operator = access_operator(operator)
    file_format = check_choice(file_format, "format", FORMATS)
    if db.session.get(Conversation, conversation_id) is None:
        raise NotFound("conversation_not_found", "No such conversation.")
    columns = [User.username.label("sender") if column == "sender" else getattr(Message, column)
               for column in MESSAGE_COLUMNS]
    rows = (db.select(*columns).outerjoin(User, User.id == Message.sender_id)
            .where(Message.conversation_id == conversation_id))
    return _export(operator, "export.messages", "conversation", conversation_id,
                   f"conversation-{conversation_id}-messages", MESSAGE_COLUMNS, file_format, rows, Message.seq)


@atomic()
def export_audit_log(operator: User, file_format: str) -> Export:
    """The whole audit log, oldest first."""
    operator = access_operator(operator)
    file_format = check_choice(file_format, "format", FORMATS)
    columns = [getattr(AuditEntry, column) for column in AUDIT_COLUMNS]
    return _export(operator, "export.audit_log", "audit_log", None, "audit-log", AUDIT_COLUMNS, file_format,
                   db.select(*columns), AuditEntry.id)


def _export(operator: User, action: str, target_type: str, target_id: int | None, name: str,
            columns: tuple[str, ...], file_format: str, rows: Select, order: ColumnElement) -> Export:
    """Recorded now, with how many rows there are; then read page by page, in `order` (one of `columns`, each
    value once), as it is sent: the rows there were now (up to the highest `order` now, so its own audit
    entry is not in an export of the audit log), as they are when their page is read."""
    count, highest = db.session.execute(long_read(
        rows.with_only_columns(func.count(), func.max(order), maintain_column_froms=True))).one()
    record(operator, action, target_type, target_id, None, {"format": file_format, "rows": count})
    pages = _pages(rows.where(order <= highest), order, columns) if count else iter(())
    if file_format == "json":
        return Export(f"{name}.json", "application/json", _json_chunks(pages))
    return Export(f"{name}.csv", "text/csv; charset=utf-8", _csv_chunks(columns, pages))


def _pages(rows: Select, order: ColumnElement, columns: tuple[str, ...]) -> Iterator[list[dict]]:
    """The rows as dicts, PAGE_ROWS at a time, each page read by a unit of its own once the one before was
    sent (keyset: after the last `order` value sent)."""
    position, last = columns.index(order.key), None
    while True:
        page = rows.order_by(order).limit(PAGE_ROWS)
        with atomic():
            found = db.session.execute(long_read(page if last is None else page.where(order > last))).all()
        if found:
            last = found[-1][position]
            yield [{column: _plain(value) for column, value in zip(columns, row, strict=True)} for row in found]
        if len(found) < PAGE_ROWS:
            return


def _json_chunks(pages: Iterator[list[dict]]) -> Iterator[str]:
    """A JSON array of the rows, a page of them per piece."""
    yield "["
    first = True
    for page in pages:
        rows = ",\n".join(json.dumps(row, ensure_ascii=False, indent=1) for row in page)
        yield ("\n" if first else ",\n") + rows
        first = False
    yield "\n]"


def _csv_chunks(columns: tuple[str, ...], pages: Iterator[list[dict]]) -> Iterator[str]:
    """The CSV header, then a page of rows per piece."""
    yield to_csv(columns, [])
    for page in pages:
        yield to_csv(columns, page, header=False)


def to_csv(columns: Iterable[str], rows: list[dict], header: bool = True) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns))
    if header:
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
