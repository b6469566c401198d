"""Helpers for talking to a live server about files, as a browser or program would."""
from __future__ import annotations

import requests

from tests.servers import ChatUser, wait_for


def upload(user: ChatUser, conversation_id: int, data: bytes, filename: str = "file.bin",
           declared: str = "application/octet-stream") -> requests.Response:
    """Upload through the server, as a multipart form with one `file` part."""
    return user.api("POST", f"/conversations/{conversation_id}/files", files={"file": (filename, data, declared)})


def direct_upload(user: ChatUser, conversation_id: int, data: bytes, filename: str, content_type: str,
                  *, post_data: bytes | None = None, post_type: str | None = None) -> tuple[dict, requests.Response]:
    """Start a direct upload, then POST the form straight to storage (optionally other bytes or type)."""
    started = user.api("POST", f"/conversations/{conversation_id}/files/direct",
                       json={"filename": filename, "content_type": content_type, "size": len(data)})
    assert started.status_code == 201, started.text
    body = started.json()
    fields = dict(body["upload"]["fields"])
    if post_type is not None:
        fields["Content-Type"] = post_type
    url = body["upload"]["url"]
    if url.startswith("/"):  # the local backend's upload URL is on the app itself
        url = user.server_url + url
    posted = requests.post(url, data=fields, files={"file": (filename, post_data if post_data is not None else data)},
                           timeout=10)
    return body, posted


def complete(user: ChatUser, attachment_id: int) -> requests.Response:
    return user.api("POST", f"/files/{attachment_id}/complete")


def download(user: ChatUser, path: str) -> requests.Response:
    """GET /files/... without following the redirect."""
    return requests.get(user.server_url + path, headers=user.headers, allow_redirects=False, timeout=10)


def follow(user: ChatUser, location: str) -> requests.Response:
    """Fetch a redirect target the way a browser does: no credentials attached."""
    if location.startswith("/"):
        location = user.server_url + location
    return requests.get(location, timeout=10)


def wait_for_thumbnail(user: ChatUser, attachment_id: int) -> dict:
    """The attachment once the job consumer has made its thumbnail (uploads answer before that)."""
    def made():
        attachment = user.api("GET", f"/files/{attachment_id}").json()["attachment"]
        return attachment if attachment["has_thumbnail"] else None
    return wait_for(made, what=f"the thumbnail of file {attachment_id}")
