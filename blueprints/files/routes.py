"""File uploads and downloads for members: thin views over actions.files."""
from __future__ import annotations

from flask import current_app, jsonify, redirect, request
from werkzeug.exceptions import RequestEntityTooLarge

from actions.files import (
    access_attachment,
    complete_direct_upload,
    file_download_url,
    start_direct_upload,
    too_large_error,
    upload_attachment,
)
from actions.validation import check_fields
from blueprints.api import api_user, json_body
from blueprints.files import bp
from blueprints.files.multipart import MULTIPART_OVERHEAD_BYTES, read_file_part
from blueprints.http_unit import streamed_body, streams_its_body
from events import outside_the_database
from payloads import attachment_payload
from storage.streams import TooLarge


@bp.post("/api/conversations/<id:conversation_id>/files")
@streams_its_body
def upload(conversation_id: int):
    """Upload one file (multipart part `file`) through the server: 201 with the ready attachment."""
    # Set before anything touches request.stream: a larger Content-Length is refused unread.
    request.max_content_length = current_app.config["UPLOAD_MAX_BYTES"] + MULTIPART_OVERHEAD_BYTES
    try:
        with outside_the_database():  # the fields before the file come at the client's pace
            part = read_file_part(streamed_body(), request.headers.get("Content-Type"))
    except (RequestEntityTooLarge, TooLarge):
        raise too_large_error() from None
    attachment = upload_attachment(api_user(), conversation_id, part.filename, part.content_type, part.stream)
    return jsonify({"ok": True, "attachment": attachment_payload(attachment)}), 201


@bp.post("/api/conversations/<id:conversation_id>/files/direct")
def start_direct(conversation_id: int):
    """Ask to upload {filename, content_type, size} straight to storage: 201 with a pending
    attachment and `upload: {url, fields}` to POST (fields, then `file`) before completing."""
    payload = check_fields(json_body(), ("filename", "content_type", "size"), "upload")
    direct = start_direct_upload(api_user(), conversation_id, payload.get("filename"),
                                 payload.get("content_type"), payload.get("size"))
    return jsonify({"ok": True, "attachment": attachment_payload(direct.attachment),
                    "upload": {"url": direct.post.url, "fields": direct.post.fields}}), 201


@bp.post("/api/files/<id:attachment_id>/complete")
def complete_direct(attachment_id: int):
    """The uploader reports a direct upload done; the server verifies it before it becomes ready."""
    return jsonify({"ok": True, "attachment": attachment_payload(complete_direct_upload(api_user(), attachment_id))})


@bp.get("/api/files/<id:attachment_id>")
def details(attachment_id: int):
    """A readable file's details."""
    return jsonify({"ok": True, "attachment": attachment_payload(access_attachment(api_user(), attachment_id))})


@bp.get("/files/<id:attachment_id>")
def download(attachment_id: int):
    """Redirect to a short-lived URL of the file; `?download=1` asks for a download even for media."""
    return _redirect(file_download_url(api_user(), attachment_id, download=request.args.get("download") == "1"))


@bp.get("/files/<id:attachment_id>/thumbnail")
def thumbnail(attachment_id: int):
    """Redirect to a short-lived URL of an image's thumbnail."""
    return _redirect(file_download_url(api_user(), attachment_id, thumbnail=True))


def _redirect(url: str):
    response = redirect(url, code=302)
    response.headers["Cache-Control"] = "no-store"  # the target expires; ask again next time
    return response
