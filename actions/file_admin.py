"""Operators delete files: the object leaves storage and its message shows "file removed" live.

The removal itself is actions.files.delete_attachment; this adds the operator check and
the audit entry, in the same unit of work as the change.
"""
from __future__ import annotations

from actions.access import access_operator
from actions.audit import record, snapshot
from actions.errors import NotFound
from actions.files import delete_attachment
from events import atomic
from extensions import db
from models import Attachment, User

FILE_FIELDS = ("filename", "content_type", "size", "status", "uploader_id", "conversation_id")


@atomic()
def delete_file(operator: User, attachment_id: int) -> Attachment:
    """Remove a file from storage for good; its message stays, marked "file removed"."""
    operator = access_operator(operator)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound("file_not_found", "No such file.")
    if attachment.status == "deleted":
        return attachment
    before = snapshot(attachment, FILE_FIELDS)
    record(operator, "file.delete", "attachment", attachment.id, before, {**before, "status": "deleted"})
    return delete_attachment(operator, attachment.id)

