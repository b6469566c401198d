"""Clearing away uploads that were never sent: started direct uploads never completed, and
files uploaded but never attached to a message. Run by `flask purge-uploads` (e.g. hourly)."""
from __future__ import annotations

from datetime import timedelta

from actions.files import remove_stored_objects_on_commit
from events import atomic
from extensions import db
from models import Attachment, Message
from models.time import utcnow


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
