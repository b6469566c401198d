"""actions.files with the Flask test app on the local backend: uploads, sending, deleting."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import current_app
from gevent import GreenletExit

from actions.errors import ActionError
from actions.files import (
    check_filename,
    complete_direct_upload,
    delete_attachment,
    file_download_url,
    incoming_key,
    make_attachment_thumbnail,
    start_direct_upload,
    upload_attachment,
)
from actions.messages import delete_message, edit_message, send_message
from actions.moderation import hide_message, unhide_message
from events import atomic, unit_of_work
from extensions import db
from jobs import job_queue
from models import Attachment
from storage import get_storage
from tests.factories import make_group
from tests.files.samples import ELF_BYTES, PDF_BYTES, WEBM_BYTES, png_bytes
from tests.helpers import bearer, database_rows, run_queued_jobs


def upload(user, conversation, data: bytes, filename: str = "photo.png", declared: str | None = None):
    """Upload, then run the jobs it queued (an image's thumbnail) as the consumer would."""
    attachment = upload_attachment(user, conversation.id, filename, declared, io.BytesIO(data))
    run_queued_jobs()
    db.session.refresh(attachment)
    return attachment


def stored_keys() -> list[str]:
    root = Path(current_app.config["STORAGE_LOCAL_PATH"])
    return [path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()]


def test_upload_sniffs_hashes_and_makes_a_thumbnail(alice, group):
    attachment = upload(alice, group, png_bytes(), declared="application/pdf")
    assert attachment.status == "ready"
    assert attachment.content_type == "image/png"  # from the bytes, not the declared type
    assert len(attachment.sha256) == 64
    storage = get_storage()
    assert storage.head(attachment.storage_key).size == attachment.size
    assert attachment.thumbnail_key.startswith(attachment.storage_key + ".thumb.")
    assert storage.head(attachment.thumbnail_key).size > 0


def test_the_thumbnail_is_made_by_a_job_after_the_upload_commits(alice, bob, group, socket_client_for):
    attachment = upload_attachment(alice, group.id, "photo.png", None, io.BytesIO(png_bytes()))
    assert attachment.thumbnail_key is None  # the answer does not wait for Pillow
    assert [(job.name, job.arguments) for job in job_queue().queued()] == [
        (make_attachment_thumbnail.name, (attachment.id,))]
    sent_revision = send_message(alice, group.id, "", attachment_id=attachment.id).message.revision  # before it
    bob_socket = socket_client_for("bob")
    bob_socket.get_received()

    assert run_queued_jobs() == [make_attachment_thumbnail.name]
    db.session.refresh(attachment)
    assert get_storage().head(attachment.thumbnail_key).size > 0
    [update] = [event["args"][0]["message"] for event in bob_socket.get_received()
                if event["name"] == "message:updated"]
    assert update["revision"] == sent_revision + 1
    assert update["attachment"]["thumbnail_url"] == f"/files/{attachment.id}/thumbnail"

    make_attachment_thumbnail(attachment.id)  # a second run changes nothing
    assert [event for event in bob_socket.get_received() if event["name"] == "message:updated"] == []


def test_no_thumbnail_job_for_other_files_nor_for_files_removed_before_it_runs(alice, operator, group):
    upload_attachment(alice, group.id, "doc.pdf", None, io.BytesIO(PDF_BYTES))
    assert job_queue().queued_count() == 0
    image = upload_attachment(alice, group.id, "photo.png", None, io.BytesIO(png_bytes()))
    delete_attachment(operator, image.id)
    assert run_queued_jobs() == [make_attachment_thumbnail.name]
    db.session.refresh(image)
    assert image.thumbnail_key is None
    assert not any(key.startswith(image.storage_key) for key in stored_keys())


def test_upload_refuses_unknown_types_empty_files_and_strangers(alice, carol, group):
    with pytest.raises(ActionError) as refused:
        upload(alice, group, ELF_BYTES, "tool")
    assert (refused.value.code, refused.value.status) == ("type_not_allowed", 415)
    with pytest.raises(ActionError) as refused:
        upload(alice, group, b"", "empty.txt")
    assert refused.value.code == "empty_file"
    with pytest.raises(ActionError) as refused:
        upload(carol, group, PDF_BYTES, "doc.pdf")
    assert refused.value.status == 403
    assert db.session.execute(db.select(Attachment)).first() is None


def test_upload_refuses_files_over_the_limit_while_streaming(app, alice, group):
    app.config["UPLOAD_MAX_BYTES"] = 1000
    with pytest.raises(ActionError) as refused:
        upload(alice, group, PDF_BYTES + b"x" * 2000, "big.pdf")
    assert (refused.value.code, refused.value.status) == ("file_too_large", 413)
    assert db.session.execute(db.select(Attachment)).first() is None
    assert not any(path.is_file() for path in get_storage().root.rglob("*"))


def test_a_file_stored_for_a_unit_that_does_not_commit_is_deleted(alice, group, monkeypatch):
    """Its object stays only with its row: a request that fails after the upload (a later refusal, a
    failed COMMIT) or that cannot get back to the database once the body is stored leaves no object."""
    with pytest.raises(ActionError), atomic():
        upload_attachment(alice, group.id, "doc.pdf", None, io.BytesIO(PDF_BYTES))
        assert len(stored_keys()) == 1
        raise ActionError("later", "refused after the upload")
    assert stored_keys() == []

    entered = []

    def stopped_in_line():  # the worker stopping while the upload waits for its place at the gate
        entered.append(True)
        if len(entered) == 2:
            raise GreenletExit
        return real_enter_unit()

    real_enter_unit = unit_of_work.enter_unit
    monkeypatch.setattr(unit_of_work, "enter_unit", stopped_in_line)
    with pytest.raises(GreenletExit):
        upload_attachment(alice, group.id, "doc.pdf", None, io.BytesIO(PDF_BYTES))
    monkeypatch.undo()
    assert len(entered) == 2 and stored_keys() == []
    assert db.session.execute(db.select(Attachment)).first() is None


def test_a_file_whose_commit_fails_is_kept_since_the_database_may_have_made_it(alice, group, monkeypatch):
    """A COMMIT that fails may have been made (its answer lost): the object its row may name stays. An
    object no row names is unreachable; one deleted under a committed row would be a broken file."""
    def failing_commit(*args, **kwargs):
        raise RuntimeError("the answer to COMMIT was lost")

    with pytest.raises(RuntimeError), atomic():
        upload_attachment(alice, group.id, "doc.pdf", None, io.BytesIO(PDF_BYTES))
        monkeypatch.setattr(db.session.get_bind().dialect, "do_commit", failing_commit)
    monkeypatch.undo()
    assert len(stored_keys()) == 1


def test_send_with_attachment_sets_kind_and_payload(alice, bob, group):
    attachment = upload(alice, group, png_bytes())
    sent = send_message(alice, group.id, "", attachment_id=attachment.id)
    assert sent.message.kind == "image"
    with pytest.raises(ActionError) as refused:
        send_message(alice, group.id, "again", attachment_id=attachment.id)
    assert refused.value.code == "attachment_used"
    webm = upload(alice, group, WEBM_BYTES, "voice.webm", declared="audio/webm")
    assert send_message(alice, group.id, None, attachment_id=webm.id).message.kind == "voice"


def test_a_files_caption_is_edited_and_taken_off_as_it_was_sent_without_one(alice, group):
    # A file goes without text: its author may add a caption later, and take it off again (Telegram);
    # a text message still keeps some text, and an edit still names its body.
    attachment = upload(alice, group, png_bytes())
    sent = send_message(alice, group.id, "", attachment_id=attachment.id).message
    assert edit_message(alice, sent.id, "the view").body == "the view"
    assert edit_message(alice, sent.id, "  ").body == ""
    for body in (None, 5):
        with pytest.raises(ActionError) as refused:
            edit_message(alice, sent.id, body)
        assert refused.value.code == "invalid_body"
    text = send_message(alice, group.id, "words").message
    with pytest.raises(ActionError) as refused:
        edit_message(alice, text.id, "")
    assert refused.value.code == "invalid_body"


def test_send_refuses_someone_elses_or_another_conversations_attachment(alice, bob, carol, group):
    attachment = upload(alice, group, PDF_BYTES, "doc.pdf")
    with pytest.raises(ActionError) as refused:
        send_message(bob, group.id, "mine now", attachment_id=attachment.id)
    assert refused.value.code == "attachment_not_found"
    other = make_group(alice, "Other", members=[carol])
    with pytest.raises(ActionError) as refused:
        send_message(alice, other.id, "here", attachment_id=attachment.id)
    assert refused.value.code == "attachment_elsewhere"


def test_reading_rules(alice, bob, carol, operator, group):
    attachment = upload(alice, group, PDF_BYTES, "doc.pdf")
    assert file_download_url(alice, attachment.id)
    with pytest.raises(ActionError) as refused:  # not sent yet: only the uploader
        file_download_url(bob, attachment.id)
    assert (refused.value.status, refused.value.code) == (403, "not_allowed")  # docs/files.md, Download
    message = send_message(alice, group.id, "", attachment_id=attachment.id).message
    assert file_download_url(bob, attachment.id)
    assert file_download_url(operator, attachment.id)
    with pytest.raises(ActionError) as refused:
        file_download_url(carol, attachment.id)
    assert (refused.value.status, refused.value.code) == (403, "not_a_member")
    with pytest.raises(ActionError) as refused:
        file_download_url(bob, 999)
    assert refused.value.status == 404
    delete_message(alice, message.id)
    for reader in (alice, bob, operator):
        with pytest.raises(ActionError) as refused:
            file_download_url(reader, attachment.id)
        assert (refused.value.code, refused.value.status) == ("file_removed", 410)


def test_an_operator_who_must_enrol_in_two_factor_reads_files_as_anyone_does(app, client, alice, operator, group):
    """TWO_FACTOR_REQUIRED_FOR_OPERATORS keeps the back office closed to an operator without two-factor:
    their power to read any file waits for it too (the file routes are not the back office's)."""
    attachment = upload(alice, group, PDF_BYTES, "doc.pdf")
    send_message(alice, group.id, "", attachment_id=attachment.id)
    app.config["TWO_FACTOR_REQUIRED_FOR_OPERATORS"] = True
    with pytest.raises(ActionError) as refused:
        file_download_url(operator, attachment.id)
    assert (refused.value.status, refused.value.code) == (403, "not_a_member")
    answer = client.get(f"/api/files/{attachment.id}", headers=bearer(operator))
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (403, "not_a_member")
    app.config["TWO_FACTOR_REQUIRED_FOR_OPERATORS"] = False
    assert file_download_url(operator, attachment.id)


def test_a_hidden_message_hides_its_file(alice, bob, operator, group):
    attachment = upload(alice, group, PDF_BYTES, "doc.pdf")
    message = send_message(alice, group.id, "", attachment_id=attachment.id).message
    hide_message(operator, message.id)
    with pytest.raises(ActionError) as refused:
        file_download_url(bob, attachment.id)
    assert refused.value.code == "file_removed"
    unhide_message(operator, message.id)
    assert file_download_url(bob, attachment.id)


def test_delete_attachment_removes_objects_and_updates_the_message_live(app, alice, bob, operator, group,
                                                                       socket_client_for):
    attachment = upload(alice, group, png_bytes())
    message = send_message(alice, group.id, "look", attachment_id=attachment.id).message
    revision = message.revision
    keys = (attachment.storage_key, attachment.thumbnail_key)
    bob_socket = socket_client_for("bob")
    bob_socket.get_received()
    with pytest.raises(ActionError) as refused:
        delete_attachment(bob, attachment.id)
    assert refused.value.status == 403
    delete_attachment(operator, attachment.id)
    assert all(get_storage().head(key) is None for key in keys)
    assert db.session.get(Attachment, attachment.id).status == "deleted"
    updates = [event for event in bob_socket.get_received() if event["name"] == "message:updated"]
    assert len(updates) == 1
    payload = updates[0]["args"][0]["message"]
    assert payload["id"] == message.id and payload["revision"] > revision
    assert payload["attachment"]["status"] == "deleted" and payload["attachment"]["filename"] is None
    assert delete_attachment(operator, attachment.id).status == "deleted"  # again: no change, no error


def test_direct_upload_on_local_storage(alice, group):
    direct = start_direct_upload(alice, group.id, "doc.pdf", "application/pdf", len(PDF_BYTES))
    assert direct.attachment.status == "pending"
    with pytest.raises(ActionError) as refused:
        complete_direct_upload(alice, direct.attachment.id)
    assert refused.value.code == "upload_missing"
    get_storage().save(incoming_key(direct.attachment.storage_key), io.BytesIO(PDF_BYTES), "application/pdf")
    attachment = complete_direct_upload(alice, direct.attachment.id)
    assert attachment.status == "ready" and len(attachment.sha256) == 64
    assert get_storage().head(incoming_key(attachment.storage_key)) is None


@pytest.mark.parametrize("extra", [{"name": "doc.pdf"}, {"conversation_id": 1}])
def test_starting_a_direct_upload_refuses_a_field_it_does_not_take(client, alice, group, extra):
    """docs/protocol.md, Input: POST /api/conversations/<id>/files/direct takes {filename, content_type,
    size}; another field (`name` for `filename`) was ignored and a pending upload made. 400 invalid_field."""
    headers = bearer(alice)
    before = database_rows()
    answer = client.post(f"/api/conversations/{group.id}/files/direct", headers=headers,
                         json={"filename": "doc.pdf", "content_type": "application/pdf", "size": 1234, **extra})
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (400, "invalid_field")
    assert database_rows() == before


def test_direct_upload_that_does_not_match_is_discarded(alice, group):
    direct = start_direct_upload(alice, group.id, "doc.pdf", "application/pdf", len(PDF_BYTES))
    get_storage().save(incoming_key(direct.attachment.storage_key), io.BytesIO(b"%PDF" + b"!" * (len(PDF_BYTES) - 4)),
                       "application/pdf")
    with pytest.raises(ActionError) as refused:
        complete_direct_upload(alice, direct.attachment.id)
    assert (refused.value.code, refused.value.status) == ("upload_mismatch", 422)
    assert db.session.get(Attachment, direct.attachment.id).status == "pending"  # a refusal changes no row
    assert get_storage().head(direct.attachment.storage_key) is None
    with pytest.raises(ActionError) as refused:  # the refused bytes are gone: nothing to complete
        complete_direct_upload(alice, direct.attachment.id)
    assert refused.value.code == "upload_missing"


@pytest.mark.parametrize(("raw", "clean"), [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\me\\report.pdf", "report.pdf"),
    ("na\x1bme\x07.txt", "name.txt"),
    ("na\x00me\ud800\x85.txt", "name.txt"),
    ("photo 📷 été.png", "photo 📷 été.png"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),  # shown as "invoiceexe.pdf" with its override
    ("\u2067report\u2069.pdf", "report.pdf"),
])
def test_check_filename(raw, clean):
    assert check_filename(raw) == clean


def test_check_filename_shortens_and_refuses():
    assert len(check_filename("a" * 300 + ".pdf")) == 255
    assert check_filename("a" * 300 + ".pdf").endswith(".pdf")
    with pytest.raises(ActionError):
        check_filename("..")


def test_the_database_keeps_a_file_to_one_message(alice, group):
    from sqlalchemy.exc import IntegrityError

    from models import Message

    attachment = upload(alice, group, PDF_BYTES, "doc.pdf")
    send_message(alice, group.id, "", attachment_id=attachment.id)
    db.session.add(Message(conversation_id=group.id, sender_id=alice.id, kind="file", body="",
                           attachment_id=attachment.id, seq=99, revision=99))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_an_operator_erasing_a_message_erases_its_file(alice, bob, operator, group):
    from actions.moderation import delete_message_for_everyone

    attachment = upload(alice, group, png_bytes(40, 30))
    message = send_message(alice, group.id, "", attachment_id=attachment.id).message
    keys = [attachment.storage_key, attachment.thumbnail_key]
    storage = get_storage()
    assert all(storage.head(key) is not None for key in keys)
    delete_message_for_everyone(operator, message.id)
    db.session.expire_all()
    assert db.session.get(Attachment, attachment.id).status == "deleted"
    assert all(storage.head(key) is None for key in keys)
