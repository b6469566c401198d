"""The local backend's own signed URLs: downloads, and the stand-in for S3 presigned POSTs.

These URLs need no login (the signature is the permission, as with S3's presigned URLs).
Files are served from the app's origin, so they are sent with a sandboxing CSP and nosniff.
"""
from __future__ import annotations

from flask import request, send_file
from werkzeug.exceptions import RequestEntityTooLarge

from actions.errors import ActionError, Forbidden, NotFound
from actions.files import check_direct_upload_open
from blueprints.files import bp
from blueprints.files.multipart import MULTIPART_OVERHEAD_BYTES, read_file_part
from blueprints.http_unit import streamed_body, streams_its_body
from events import outside_the_database
from storage import content_disposition, get_storage
from storage.local import LinkRefused, LocalStorage
from storage.streams import TooLarge


def local_storage() -> LocalStorage:
    storage = get_storage()
    if not isinstance(storage, LocalStorage):
        raise NotFound("not_found", "Files are not on local storage here.")
    return storage


@bp.get("/files/local/<token>")
def local_download(token: str):
    """Serve a file to the holder of a valid, unexpired signed link (403 otherwise)."""
    try:
        download = local_storage().read_download_token(token)
    except LinkRefused as refused:
        raise Forbidden(refused.code, refused.message) from None
    if not download.path.is_file():
        raise NotFound("file_not_found", "This file no longer exists.")
    response = send_file(download.path, mimetype=download.content_type, conditional=True, max_age=0)
    # The type as signed, exactly: send_file would add a second "; charset=utf-8" to text/plain's.
    response.headers["Content-Type"] = download.content_type
    response.headers["Content-Disposition"] = content_disposition(download.filename, inline=download.inline)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Same origin as the chat: whatever the bytes are, they must never run as a page.
    response.headers["Content-Security-Policy"] = "default-src 'none'; media-src 'self'; img-src 'self'; sandbox"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.post("/files/local-upload/<token>")
@streams_its_body
def local_upload(token: str):
    """Receive a direct upload like S3 would (fields, then `file`): 204, or 403/413 and nothing stored."""
    storage = local_storage()
    try:
        upload = storage.read_upload_token(token)
    except LinkRefused as refused:
        raise Forbidden(refused.code, refused.message) from None
    check_direct_upload_open(upload.key)  # before reading a byte of the body
    request.max_content_length = upload.size + MULTIPART_OVERHEAD_BYTES
    try:
        with outside_the_database():  # the body comes at the client's pace
            part = read_file_part(streamed_body(), request.headers.get("Content-Type"))
            storage.receive_post(upload, part.fields.get("Content-Type"), part.stream)
    except LinkRefused as refused:
        raise Forbidden(refused.code, refused.message) from None
    except (RequestEntityTooLarge, TooLarge):
        raise ActionError("file_too_large", "The file is larger than the upload policy allows.", status=413) from None
    return "", 204
