"""Clearing away uploads that were never sent: started direct uploads never completed, and
files uploaded but never attached to a message. A job does it every hour; `flask
purge-uploads` does it at once."""
from __future__ import annotations

from datetime import timedelta

from actions.files import remove_stored_objects_on_commit
from events import atomic
from extensions import db
from jobs import crontab, job
from models import Attachment, Message
from models.time import utcnow

UNSENT_UPLOAD_HOURS = 24


@atomic()
def purge_unsent_uploads(older_than: timedelta) -> int:
    """Delete unsent uploads older than `older_than` from storage; returns how many."""
    sent = db.select(Message.id).where(Message.attachment_id == Attachment.id).exists()
    stale = list(db.session.execute(
        db.select(Attachment).where(Attachment.status.in_(("pending", "ready")),
                                    Attachment.created_at < utcnow() - older_than, ~sent)
    ).scalars())
    for attachment in stale:
        attachment.status = "deleted"
        remove_stored_objects_on_commit(attachment)
    return len(stale)


@job(periodic=crontab(minute="0"))
def purge_unsent_uploads_hourly() -> None:
    """Job, every hour at minute 0: delete the uploads left unsent for a day. Safe to run twice."""
    purge_unsent_uploads(timedelta(hours=UNSENT_UPLOAD_HOURS))
