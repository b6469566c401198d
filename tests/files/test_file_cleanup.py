"""Unsent uploads are cleared away; sent files stay."""
import io
from datetime import datetime, timedelta

from actions.file_cleanup import purge_unsent_uploads, purge_unsent_uploads_hourly
from actions.files import start_direct_upload, upload_attachment
from actions.messages import send_message
from extensions import db
from jobs import job_queue
from models import Attachment
from storage import get_storage
from tests.factories import make_group
from tests.files.samples import PDF_BYTES, png_bytes


def age(attachment: Attachment, hours: int) -> None:
    attachment.created_at -= timedelta(hours=hours)
    db.session.commit()


def test_purge_deletes_old_unsent_uploads_only(app, alice, bob):
    group = make_group(alice, members=[bob])
    sent = upload_attachment(alice, group.id, "sent.png", None, io.BytesIO(png_bytes(20, 20)))
    send_message(alice, group.id, "", attachment_id=sent.id)
    abandoned = upload_attachment(alice, group.id, "abandoned.pdf", None, io.BytesIO(PDF_BYTES))
    never_completed = start_direct_upload(alice, group.id, "big.pdf", "application/pdf", len(PDF_BYTES)).attachment
    fresh = upload_attachment(bob, group.id, "fresh.pdf", None, io.BytesIO(PDF_BYTES))
    for attachment in (sent, abandoned, never_completed):
        age(attachment, 30)

    assert purge_unsent_uploads(timedelta(hours=24)) == 2
    db.session.expire_all()
    status = {a.filename: a.status for a in db.session.execute(db.select(Attachment)).scalars()}
    assert status == {"sent.png": "ready", "abandoned.pdf": "deleted", "big.pdf": "deleted", "fresh.pdf": "ready"}
    storage = get_storage()
    assert storage.head(abandoned.storage_key) is None
    assert storage.head(sent.storage_key) is not None and storage.head(fresh.storage_key) is not None


def test_the_command_reports_what_it_deleted(app, alice):
    group = make_group(alice)
    age(upload_attachment(alice, group.id, "old.pdf", None, io.BytesIO(PDF_BYTES)), 48)
    result = app.test_cli_runner().invoke(args=["purge-uploads", "--hours", "24"])
    assert result.exit_code == 0 and "Deleted 1 unsent uploads." in result.output


def test_the_consumer_purges_every_hour_at_minute_zero(app):
    task_class = job_queue().tasks[purge_unsent_uploads_hourly.name].task_class
    assert task_class.default_retries == 5
    assert task_class().validate_datetime(datetime(2026, 1, 1, 13, 0))
    assert not task_class().validate_datetime(datetime(2026, 1, 1, 13, 30))


def test_the_hourly_job_deletes_day_old_unsent_uploads(app, alice):
    group = make_group(alice)
    old = upload_attachment(alice, group.id, "old.pdf", None, io.BytesIO(PDF_BYTES))
    recent = upload_attachment(alice, group.id, "recent.pdf", None, io.BytesIO(PDF_BYTES))
    age(old, 25)
    age(recent, 23)
    purge_unsent_uploads_hourly()
    purge_unsent_uploads_hourly()  # a second run finds nothing more to do
    db.session.expire_all()
    assert (old.status, recent.status) == ("deleted", "ready")
