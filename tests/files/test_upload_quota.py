"""UPLOAD_QUOTA_BYTES: what one user's files may take in all."""
import io

import pytest

from actions.files import delete_attachment, start_direct_upload, upload_attachment
from actions.messages import delete_message, send_message
from extensions import db
from models import Attachment
from tests.files.samples import PDF_BYTES
from tests.helpers import refused

QUOTA = 3 * len(PDF_BYTES) + 10


@pytest.fixture
def app_settings():
    return {"UPLOAD_QUOTA_BYTES": QUOTA}


def upload(user, group, data=PDF_BYTES):
    return upload_attachment(user, group.id, "doc.pdf", "application/pdf", io.BytesIO(data))


def test_uploads_stop_at_the_quota_and_deleted_files_give_room_back(alice, bob, group, operator):
    first = upload(alice, group)
    upload(alice, group)
    upload(alice, group)
    assert refused(upload, alice, group) == (413, "quota_exceeded")
    assert refused(start_direct_upload, alice, group.id, "d.pdf", "application/pdf", len(PDF_BYTES)) == (
        413, "quota_exceeded")
    assert upload(bob, group).size == len(PDF_BYTES)  # a quota per user
    delete_attachment(operator, first.id)
    assert upload(alice, group).size == len(PDF_BYTES)


def test_a_file_whose_message_its_author_deleted_gives_its_room_back(alice, group, tmp_path):
    """Deleted by its author, the message's file answers 410 to everyone for good: it leaves storage and
    stops counting (it counted until the uploader could upload nothing more)."""
    sent = upload(alice, group)
    message = send_message(alice, group.id, "", attachment_id=sent.id, client_id="with-file").message
    upload(alice, group)
    upload(alice, group)
    assert refused(upload, alice, group) == (413, "quota_exceeded")
    assert (tmp_path / "files" / sent.storage_key).exists()
    delete_message(alice, message.id)
    assert db.session.get(Attachment, sent.id).status == "deleted"
    assert not (tmp_path / "files" / sent.storage_key).exists()
    assert upload(alice, group).size == len(PDF_BYTES)


def test_a_refused_upload_leaves_no_object(alice, group, tmp_path):
    big = PDF_BYTES + b"%" * QUOTA
    assert refused(upload, alice, group, big) == (413, "quota_exceeded")
    assert not [path for path in (tmp_path / "files").rglob("*") if path.is_file()]


@pytest.mark.parametrize("app_settings", [{"UPLOAD_QUOTA_BYTES": 0}])
def test_zero_means_no_quota(alice, group):
    for _ in range(5):
        upload(alice, group)
