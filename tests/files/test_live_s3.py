"""What only the S3 backend does, against moto's standalone server over HTTP.

moto checks neither presigned signatures, nor expiry, nor POST policies, so these tests check
what Switchboard *asks* S3 for (the policy, the URL's parameters) and what it verifies itself.
"""
from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.exceptions import ClientError

from actions.accounts import register_user
from actions.files import delete_attachment
from extensions import db
from models import Attachment
from tests.files.conftest import BUCKET, CREDENTIALS
from tests.files.live import complete, direct_upload, download, upload, wait_for_thumbnail
from tests.files.samples import PDF_BYTES, png_bytes
from tests.integration.chat import group_with
from tests.servers import ChatUser

pytestmark = pytest.mark.integration


@pytest.fixture
def people(s3_server):
    alice, bob = ChatUser.register(s3_server.url), ChatUser.register(s3_server.url)
    return alice, bob, group_with(alice, bob)


def test_presigned_post_pins_key_exact_size_and_type(s3_server, people):
    alice, _, group = people
    started = alice.api("POST", f"/conversations/{group['id']}/files/direct",
                        json={"filename": "r.pdf", "content_type": "application/pdf", "size": 1234}).json()
    fields = started["upload"]["fields"]
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert {"key": fields["key"]} in conditions
    assert fields["key"].startswith(f"incoming/{group['id']}/")
    assert ["content-length-range", 1234, 1234] in conditions
    assert {"Content-Type": "application/pdf"} in conditions and fields["Content-Type"] == "application/pdf"
    assert "r.pdf" not in fields["key"]  # user input never becomes a key


def test_download_url_is_short_lived_and_forces_name_and_type(s3_server, people):
    alice, _, group = people
    attachment = upload(alice, group["id"], PDF_BYTES, "ü.pdf").json()["attachment"]
    query = parse_qs(urlsplit(download(alice, f"/files/{attachment['id']}").headers["Location"]).query)
    assert query["X-Amz-Expires"] == ["60"]  # DOWNLOAD_URL_SECONDS's default
    assert query["response-content-disposition"] == ["attachment; filename=\"_.pdf\"; filename*=UTF-8''%C3%BC.pdf"]
    assert query["response-content-type"] == ["application/pdf"]


def test_completion_refuses_an_object_of_another_size(s3_server, moto, people):
    alice, _, group = people
    # moto does not apply the policy's content-length-range, so the wrong size reaches the bucket.
    started, posted = direct_upload(alice, group["id"], PDF_BYTES, "d.pdf", "application/pdf",
                                    post_data=PDF_BYTES + b"extra")
    assert posted.status_code == 204
    refused = complete(alice, started["attachment"]["id"])
    assert refused.status_code == 422 and "bytes" in refused.json()["error"]["message"]
    with pytest.raises(ClientError):  # the object was discarded
        moto.client().head_object(Bucket=BUCKET, Key="files/" + started["upload"]["fields"]["key"].split("/", 1)[1])


def test_completion_refuses_an_object_stored_with_another_type(s3_server, people):
    alice, _, group = people
    # moto does not apply the policy's Content-Type condition either.
    started, posted = direct_upload(alice, group["id"], PDF_BYTES, "d.pdf", "application/pdf",
                                    post_type="text/html")
    assert posted.status_code == 204
    refused = complete(alice, started["attachment"]["id"])
    assert refused.status_code == 422 and "text/html" in refused.json()["error"]["message"]


def test_delete_attachment_removes_the_objects_from_the_bucket(s3_server, moto, people, monkeypatch):
    alice, bob, group = people
    for name, value in CREDENTIALS.items():  # boto3's credential chain reads the process environment
        monkeypatch.setenv(name, value)
    attachment = upload(alice, group["id"], png_bytes(), "p.png").json()["attachment"]
    wait_for_thumbnail(alice, attachment["id"])
    message = alice.api("POST", f"/conversations/{group['id']}/messages",
                        json={"attachment_id": attachment["id"]}).json()["message"]
    # As the back office would: the same action, in a process configured like the server.
    with s3_server.app_beside(TESTING=True):
        operator = register_user("files-operator", "correct horse battery", role="admin")
        stored = db.session.get(Attachment, attachment["id"])
        keys = [stored.storage_key, stored.thumbnail_key]
        for key in keys:
            moto.client().head_object(Bucket=BUCKET, Key=key)
        delete_attachment(operator, attachment["id"])
    for key in keys:
        with pytest.raises(ClientError):
            moto.client().head_object(Bucket=BUCKET, Key=key)
    assert download(bob, f"/files/{attachment['id']}").status_code == 410
    history = bob.api("GET", f"/conversations/{group['id']}/messages").json()["messages"]
    changed = next(item for item in history if item["id"] == message["id"])
    assert changed["attachment"]["status"] == "deleted" and changed["revision"] > message["revision"]
