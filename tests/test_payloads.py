"""payloads.py: the wire format. File URLs are written in one place (file_url) and are the
file routes themselves; clients use the payload's URLs, never build their own."""
from __future__ import annotations

from io import BytesIO

from flask import url_for

from actions.files import delete_attachment, upload_attachment
from payloads import attachment_payload, file_url
from tests.factories import make_group


def test_file_urls_are_the_file_routes(app):
    with app.test_request_context():
        assert file_url(7) == url_for("files.download", attachment_id=7)
        assert file_url(7, download=True) == url_for("files.download", attachment_id=7, download=1)
        assert file_url(7, thumbnail=True) == url_for("files.thumbnail", attachment_id=7)


def test_an_attachment_carries_its_urls_until_it_is_deleted(alice, operator):
    group = make_group(alice, "Files")
    attachment = upload_attachment(alice, group.id, "notes.txt", "text/plain", BytesIO(b"notes"))
    payload = attachment_payload(attachment)
    assert (payload["url"], payload["download_url"], payload["thumbnail_url"]) == (
        file_url(attachment.id), file_url(attachment.id, download=True), None)
    delete_attachment(operator, attachment.id)
    payload = attachment_payload(attachment)
    assert (payload["url"], payload["download_url"], payload["thumbnail_url"]) == (None, None, None)
