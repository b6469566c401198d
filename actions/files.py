"""Files shared in conversations: upload (through the server or straight to storage),
download links, use in a message, and removal by an operator.

An attachment belongs to its uploader and one conversation until it is sent in a message
there; from then on the conversation's members (and operators) may read it, until the
message is removed or an operator deletes the file. The database keeps keys, never URLs.
"""
from __future__ import annotations

import logging
import secrets
from contextlib import closing
from dataclasses import dataclass
from io import BytesIO
from typing import BinaryIO

from flask import current_app
from sqlalchemy import func, update

from actions.access import access_conversation, access_conversation_for_posting, access_operator
from actions.errors import ActionError, Conflict, Forbidden, InvalidInput, NotFound
from actions.messages import message_of, record_message_change_unchecked
from actions.rate_limits import count_attempt
from actions.stored_objects import (
    has_open_report,
    incoming_key,
    remove_objects_on_commit,
    remove_stored_objects_on_commit,
)
from actions.two_factor import acts_as_operator
from actions.validation import LINE_REFUSED, check_id, check_int, check_string
from events import atomic, outside_the_database
from extensions import db
from jobs import enqueue_on_commit, job
from models import Attachment, User
from storage import ObjectMissing, PresignedPost, Storage, get_storage
from storage.sniff import INLINE_TYPES, KNOWN_TYPES, SNIFF_BYTES, sniff
from storage.streams import MeteredReader, TooLarge
from storage.thumbnails import THUMBNAIL_TYPES, make_thumbnail, thumbnail_key, thumbnail_type

log = logging.getLogger(__name__)

# A presigned POST must be *started* within this time; a slow 25 MiB upload may take longer to finish.
DIRECT_UPLOAD_SECONDS = 600
FILENAME_MAX_LENGTH = 255


@dataclass(frozen=True)
class DirectUpload:
    attachment: Attachment  # pending until complete_direct_upload verifies the object
    post: PresignedPost


def check_filename(value: object) -> str:
    """A display name: no folders, no control characters; never used as a storage key."""
    if isinstance(value, str):  # the text rule's refused characters: a file system's names may hold them
        value = LINE_REFUSED.sub("", value)
    name = check_string(value, "filename", max_length=1000)
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name in (".", ".."):
        raise InvalidInput("invalid_filename", "The file needs a name.")
    if len(name) > FILENAME_MAX_LENGTH:
        stem, dot, extension = name.rpartition(".")
        keep = extension[:16] if dot else ""
        name = (stem or name)[: FILENAME_MAX_LENGTH - len(keep) - 1] + ("." + keep if keep else "")
    return name


def access_attachment(user: User, attachment_id: int) -> Attachment:
    """Who may read a file: before it is sent only its uploader; after, the conversation's
    members. Operators may read any file (once enrolled in two-factor, where that is required).
    Removed files are gone for everyone, but for the operators the file of a removed message that a
    report still waits on (the report's evidence: actions.stored_objects.has_open_report)."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound("file_not_found", "No such file.")
    message = message_of(attachment)
    operator = acts_as_operator(user)
    if not operator:
        if message is not None:
            access_conversation(user, attachment.conversation_id)
        elif attachment.uploader_id != user.id:
            raise Forbidden("not_allowed", "This file has not been shared with you.")
    if attachment.status == "deleted" or (message is not None and message.is_removed
                                          and not (operator and has_open_report(message.id))):
        raise ActionError("file_removed", "This file was removed.", status=410)
    if attachment.status != "ready":
        raise Conflict("file_not_ready", "This upload has not been completed.")
    return attachment


def file_download_url(user: User, attachment_id: int, *, thumbnail: bool = False, download: bool = False) -> str:
    """A short-lived URL for a file (or its thumbnail) the user may read."""
    attachment = access_attachment(user, attachment_id)
    seconds = current_app.config["DOWNLOAD_URL_SECONDS"]
    if thumbnail:
        if attachment.thumbnail_key is None:
            raise NotFound("thumbnail_not_found", "This file has no thumbnail.")
        content_type = thumbnail_type(attachment.thumbnail_key)
        filename = attachment.filename.rsplit(".", 1)[0] + "-thumbnail." + content_type.split("/")[1]
        return get_storage().download_url(attachment.thumbnail_key, filename=filename, content_type=content_type,
                                          inline=True, expires_in=seconds)
    # Only types that cannot run script are shown in the page; anything else downloads.
    content_type = attachment.content_type if attachment.content_type in KNOWN_TYPES else "application/octet-stream"
    if content_type == "text/plain":
        content_type = "text/plain; charset=utf-8"
    return get_storage().download_url(attachment.storage_key, filename=attachment.filename,
                                      content_type=content_type,
                                      inline=attachment.content_type in INLINE_TYPES and not download,
                                      expires_in=seconds)


@atomic()
def upload_attachment(uploader: User, conversation_id: int, filename: object, declared_type: str | None,
                      stream: BinaryIO) -> Attachment:
    """A member uploads a file through the server: type sniffed, size capped, SHA-256 recorded."""
    access_conversation_for_posting(uploader, conversation_id)
    count_upload(uploader)
    filename = check_filename(filename)
    storage = get_storage()
    key = _new_key(conversation_id)
    room, largest = _quota_left(uploader), current_app.config["UPLOAD_MAX_BYTES"]
    limit = largest if room is None else min(room, largest)
    reader = MeteredReader(stream, limit)
    uploader_id = uploader.id
    try:
        # The body comes at the client's pace. The object stays only if the unit commits with its row.
        with outside_the_database() as written:
            head = reader.peek(SNIFF_BYTES)
            if not head:
                raise InvalidInput("empty_file", "The file is empty.")
            content_type = _check_allowed(sniff(head, declared_type))
            storage.save(key, reader, content_type)  # all or nothing: no object under the key if it fails
            written.undo_with(lambda: storage.delete(key))
    except TooLarge:
        raise (quota_error() if limit < largest else too_large_error()) from None
    attachment = Attachment(uploader_id=uploader_id, conversation_id=conversation_id, storage_key=key,
                            filename=filename, content_type=content_type, size=reader.size,
                            sha256=reader.sha256, status="ready")
    db.session.add(attachment)
    db.session.flush()
    _thumbnail_later(attachment)
    return attachment


@atomic()
def start_direct_upload(uploader: User, conversation_id: int, filename: object, content_type: object,
                        size: object) -> DirectUpload:
    """A member asks to upload straight to storage: a pending attachment and a presigned POST."""
    access_conversation_for_posting(uploader, conversation_id)
    count_upload(uploader)
    filename = check_filename(filename)
    # Browsers may add parameters (MediaRecorder: "audio/webm;codecs=opus"); the policy pins the bare type.
    content_type = check_string(content_type, "content_type", max_length=127).split(";")[0].strip().lower()
    content_type = _check_allowed(content_type)
    size = check_int(size, "size", minimum=1)
    if size > current_app.config["UPLOAD_MAX_BYTES"]:
        raise too_large_error()
    room = _quota_left(uploader)
    if room is not None and size > room:
        raise quota_error()
    attachment = Attachment(uploader_id=uploader.id, conversation_id=conversation_id,
                            storage_key=_new_key(conversation_id), filename=filename,
                            content_type=content_type, size=size, status="pending")
    db.session.add(attachment)
    db.session.flush()
    post = get_storage().presigned_post(incoming_key(attachment.storage_key), content_type=content_type,
                                        size=size, expires_in=DIRECT_UPLOAD_SECONDS)
    return DirectUpload(attachment=attachment, post=post)


@atomic()
def complete_direct_upload(uploader: User, attachment_id: int) -> Attachment:
    """The uploader reports a direct upload done; the object is verified (size, type, bytes) first."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.uploader_id != uploader.id:
        raise NotFound("file_not_found", "No such upload.")
    if attachment.status == "ready":
        return attachment
    if attachment.status == "deleted":
        raise ActionError("file_removed", "This upload was refused or removed.", status=410)
    access_conversation_for_posting(uploader, attachment.conversation_id)
    storage = get_storage()
    # Move the object out of the key the presigned POST can still write, then verify the copy,
    # so nothing can replace the bytes after they were checked.
    try:
        storage.move(incoming_key(attachment.storage_key), attachment.storage_key)
    except ObjectMissing:
        pass  # not uploaded yet, or moved by an earlier attempt that did not finish
    stored = storage.head(attachment.storage_key)
    if stored is None:
        raise Conflict("upload_missing", "The file has not been uploaded yet.")
    problem = _verify(storage, attachment, stored.size, stored.content_type)
    if problem is not None:
        # The refused object goes; the attachment stays pending, so the same upload can be tried again.
        storage.delete(attachment.storage_key)
        raise ActionError("upload_mismatch", problem, status=422)
    attachment.status = "ready"
    _thumbnail_later(attachment)
    return attachment


@atomic()
def delete_attachment(operator: User | None, attachment_id: int) -> Attachment:
    """An operator removes a file from storage; its message shows "file removed" live.

    `operator` None means the service itself (CLI); a user must be an operator."""
    if operator is not None:
        access_operator(operator)
    attachment = db.session.get(Attachment, check_id(attachment_id, "attachment_id"))
    if attachment is None:
        raise NotFound("file_not_found", "No such file.")
    if attachment.status == "deleted":
        return attachment
    attachment.status = "deleted"
    message = message_of(attachment)
    if message is not None:
        record_message_change_unchecked(message)  # members get message:updated with the file "deleted"
    remove_stored_objects_on_commit(attachment)
    return attachment


def count_upload(uploader: User) -> None:
    """Each user may start UPLOADS_PER_HOUR uploads an hour (through the server or direct); 429 past that."""
    count_attempt([f"uploads:{uploader.id}"], current_app.config["UPLOADS_PER_HOUR"], 3600, "Too many uploads.")


def check_direct_upload_open(incoming: str) -> None:
    """A direct upload's form writes only while its attachment is pending: once completed (or
    removed), a re-post would write an object that nothing points at and nothing cleans up."""
    storage_key = "files/" + incoming.split("/", 1)[1]
    status = db.session.execute(
        db.select(Attachment.status).where(Attachment.storage_key == storage_key)
    ).scalar_one_or_none()
    if status != "pending":
        raise Conflict("upload_closed", "This upload is finished or was removed; start a new one.")


def _new_key(conversation_id: int) -> str:
    return f"files/{conversation_id}/{secrets.token_urlsafe(24)}"


def _check_allowed(content_type: str | None) -> str:
    if content_type is None or content_type not in current_app.config["UPLOAD_ALLOWED_TYPES"]:
        raise ActionError("type_not_allowed", "This type of file is not accepted.", status=415)
    return content_type


def _quota_left(uploader: User) -> int | None:
    """Bytes the uploader may still store (UPLOAD_QUOTA_BYTES less their files not deleted); None: no quota."""
    quota = current_app.config["UPLOAD_QUOTA_BYTES"]
    if not quota:
        return None
    used = db.session.execute(
        db.select(func.coalesce(func.sum(Attachment.size), 0))
        .where(Attachment.uploader_id == uploader.id, Attachment.status != "deleted")
    ).scalar_one()
    return max(quota - used, 0)


def quota_error() -> ActionError:
    quota = current_app.config["UPLOAD_QUOTA_BYTES"]
    return ActionError("quota_exceeded", f"Your files may take {quota} bytes in all: this one does not fit.",
                       status=413)


def too_large_error() -> ActionError:
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    return ActionError("file_too_large", f"Files are limited to {limit} bytes.", status=413)


def _verify(storage: Storage, attachment: Attachment, size: int, content_type: str | None) -> str | None:
    """Why a directly uploaded object does not match its attachment, or None if it does."""
    if size != attachment.size:
        return f"The uploaded file has {size} bytes, not the {attachment.size} announced."
    if content_type is not None and content_type.lower() != attachment.content_type:
        return f"The uploaded file was stored as {content_type}, not {attachment.content_type}."
    with closing(storage.open(attachment.storage_key)) as source:
        reader = MeteredReader(source, attachment.size)
        try:
            sniffed = sniff(reader.peek(SNIFF_BYTES), attachment.content_type)
            reader.drain()
        except TooLarge:
            return "The uploaded file is larger than announced."
    if sniffed != attachment.content_type:
        return f"The uploaded bytes are not {attachment.content_type}."
    attachment.sha256 = reader.sha256
    return None


def _thumbnail_later(attachment: Attachment) -> None:
    """Images get their thumbnail from a job, once the upload has committed (Pillow is slow)."""
    if attachment.content_type in THUMBNAIL_TYPES:
        enqueue_on_commit(make_attachment_thumbnail, attachment.id)


@job()
def make_attachment_thumbnail(attachment_id: int) -> None:
    """Job: store an image's thumbnail; if its message was sent meanwhile, members see it live.

    Safe to run twice: the thumbnail's key follows from the file's, and a file that has one
    already, or was removed meanwhile, is left alone."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.status != "ready" or attachment.thumbnail_key is not None:
        return
    storage = get_storage()
    key = _store_thumbnail(storage, attachment.storage_key, attachment.content_type)
    if key is None:
        return  # not an image Pillow can read: it is shown without a thumbnail
    # Only if it is still ready and without one: an operator may have removed it meanwhile.
    taken = db.session.execute(
        update(Attachment).where(Attachment.id == attachment_id, Attachment.status == "ready",
                                 Attachment.thumbnail_key.is_(None))
        .values(thumbnail_key=key).execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(attachment)
    if not taken:
        if attachment.thumbnail_key != key:
            remove_objects_on_commit(storage, [key])
        return
    message = message_of(attachment)
    if message is not None and not message.is_removed:
        record_message_change_unchecked(message)  # members get message:updated, now with thumbnail_url


def _store_thumbnail(storage: Storage, key: str, content_type: str) -> str | None:
    with closing(storage.open(key)) as source:
        thumbnail = make_thumbnail(source, current_app.config["THUMBNAIL_MAX_PIXELS"])
    if thumbnail is None:
        return None
    data, thumbnail_content_type = thumbnail
    target = thumbnail_key(key, thumbnail_content_type)
    storage.save(target, BytesIO(data), thumbnail_content_type)
    return target
