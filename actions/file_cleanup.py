"""Clearing away what storage keeps for nothing.

- Uploads never sent: direct uploads started and never completed, files uploaded and never attached to a
  message. A job does it every hour; `flask purge-uploads` does it at once.
- Objects no row refers to: what a unit stored and did not commit (its process killed between the two, or
  a COMMIT whose outcome was unknown: events.unit_of_work keeps the object then), objects whose delete
  failed after their row said so, pictures of a group deleted with its row, and the backend's unfinished
  writes. A job does it every day; `flask sweep-storage` does it at once.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import islice

from actions.stored_objects import incoming_key, remove_stored_objects_on_commit
from events import atomic
from extensions import db
from jobs import crontab, job
from models import Attachment, Conversation, Message, User
from models.time import utcnow
from storage import get_storage, is_valid_key

UNSENT_UPLOAD_HOURS = 24
# Older than any unit that stores an object before its row commits can run (an upload at a slow
# client's pace included): a younger object may still be about to be referred to.
UNREFERENCED_OBJECT_HOURS = 24
# Every area actions.files and actions.profiles store objects in (keys "<area>/<id>/<random>…"): the
# sweep never looks elsewhere, nor at keys of another shape, so a bucket shared with other data keeps it.
FILE_AREAS = ("files/", "incoming/")
PICTURE_AREAS = ("avatars/", "groupavatars/")
KEYS_PER_QUERY = 500


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


def sweep_storage(older_than: timedelta) -> int:
    """Delete the objects of the areas above that no row refers to and that were written before
    `older_than` ago, and the backend's unfinished writes as old; returns how many."""
    storage = get_storage()
    before = datetime.now(UTC) - older_than
    swept = 0
    for area in FILE_AREAS + PICTURE_AREAS:
        swept += storage.clear_leftovers(area, before)
        old_keys = (listed.key for listed in storage.listing(area)
                    if listed.modified < before and is_valid_key(listed.key))
        while keys := set(islice(old_keys, KEYS_PER_QUERY)):
            for key in keys - _referred_to(area, keys):
                storage.delete(key)
                swept += 1
    return swept


@atomic()
def _referred_to(area: str, keys: set[str]) -> set[str]:
    """Those of `keys` (all in `area`) that a row refers to: a file not deleted (its original, the direct
    upload that becomes it, its thumbnail), or a user's or group's picture (each of its sizes)."""
    # Each looked up by a primary key or a unique index, never by scanning a table for every batch.
    if area in PICTURE_AREAS:  # "<area>/<owner's id>/<random>.<size>.jpg" (actions.profiles, storage.avatars)
        owner = User if area == "avatars/" else Conversation
        owner_ids = {int(key.split("/")[1]) for key in keys}
        pictures = set(db.session.execute(db.select(owner.avatar_key).where(
            owner.id.in_(owner_ids), owner.avatar_key.is_not(None))).scalars())
        return {key for key in keys if key.split(".", 1)[0] in pictures}
    live = Attachment.status != "deleted"
    if area == "incoming/":
        targets = {"files/" + key.split("/", 1)[1]: key for key in keys}
        found = db.session.execute(db.select(Attachment.storage_key).where(
            live, Attachment.storage_key.in_(targets))).scalars()
        return {incoming_key(key) for key in found}
    # A file's key has no dot; its thumbnail's is "<its key>.thumb.<type>" (storage.thumbnails).
    originals = {key.split(".", 1)[0] for key in keys}
    found = db.session.execute(db.select(Attachment.storage_key, Attachment.thumbnail_key).where(
        live, Attachment.storage_key.in_(originals))).all()
    return keys & {key for row in found for key in row}


@job(periodic=crontab(minute="30", hour="4"))
def sweep_storage_daily() -> None:
    """Job, every day at 04:30: delete the objects no row has referred to for a day. Safe to run twice."""
    sweep_storage(timedelta(hours=UNREFERENCED_OBJECT_HOURS))
