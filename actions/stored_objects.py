"""A file's objects in storage (the original, a direct upload's copy waiting to be verified, the thumbnail),
removed after the commit once its row says "deleted". Below `actions.files` (an operator's removal, the
cleanups) and `actions.messages` (an author's deletion of a message takes its file along), so that
`actions.messages` never imports `actions.files` (docs/architecture.md)."""
from __future__ import annotations

import logging

from events import on_commit
from extensions import db
from models import Attachment, Report
from storage import Storage, get_storage

log = logging.getLogger(__name__)


def incoming_key(storage_key: str) -> str:
    """Where a direct upload lands before verification: `incoming/...` beside `files/...`."""
    return "incoming/" + storage_key.split("/", 1)[1]


def remove_stored_objects_on_commit(attachment: Attachment) -> None:
    """Once the row says "deleted", delete its objects (original, unfinished upload, thumbnail).

    After the commit: a leftover object is unreachable, while a lost object under a "ready"
    row would be broken. Failures are logged."""
    keys = [key for key in (attachment.storage_key, incoming_key(attachment.storage_key), attachment.thumbnail_key)
            if key]
    remove_objects_on_commit(get_storage(), keys)


def remove_objects_on_commit(storage: Storage, keys: list[str]) -> None:
    """Delete these objects once the unit commits (never if it rolls back); failures are logged."""
    on_commit(lambda: _remove_objects(storage, keys))


def remove_file_of_deleted_message_unchecked(message_id: int, attachment_id: int) -> None:
    """Its author deleted the message of this file, for good: nobody reads the file again (410
    `file_removed`), so it leaves storage and gives its room in the uploader's quota back, as a file an
    operator removes does. Unless a report of the message is open: then the file stays, for the operators
    only, as the evidence of that report (as Slack Enterprise and Mattermost keep reported content), and
    the report's settlement calls this again (actions.reports). The message's own change tells the
    members. Decides nothing."""
    if has_open_report(message_id):
        return
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is not None and attachment.status != "deleted":
        attachment.status = "deleted"
        remove_stored_objects_on_commit(attachment)


def has_open_report(message_id: int) -> bool:
    """Whether a report of the message waits for an operator: its deleted file is kept as evidence, which
    operators alone read (actions.files.access_attachment)."""
    return db.session.execute(
        db.select(Report.id).where(Report.message_id == message_id, Report.is_open).limit(1)
    ).first() is not None


def _remove_objects(storage: Storage, keys: list[str]) -> None:
    for key in keys:
        try:
            storage.delete(key)
        except Exception:  # noqa: BLE001  (the row says deleted; a leftover object is unreachable)
            log.exception("could not delete %s from storage", key)
