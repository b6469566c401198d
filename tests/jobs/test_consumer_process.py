"""The real consumer, `flask jobs-worker`, as a process of its own on the SQLite queue and the
test's database: jobs enqueued while no consumer runs are kept and run once one starts; a
job that keeps failing ends up failed, with its error, for the operators."""
from __future__ import annotations

import io
import os
from datetime import timedelta

import pytest

from actions.file_cleanup import purge_unsent_uploads_hourly
from actions.files import make_attachment_thumbnail, upload_attachment
from events.unit_of_work import atomic
from extensions import db
from jobs import enqueue_on_commit, job_queue
from models import Attachment, JobFailure
from storage import get_storage
from tests.factories import make_group
from tests.files.samples import PDF_BYTES, png_bytes
from tests.jobs.conftest import fresh
from tests.servers import JobConsumer, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def consumer_for(app, tmp_path):
    """A `flask jobs-worker` process on the same database, storage and queue as the test's app."""
    started: list[JobConsumer] = []

    def start() -> JobConsumer:
        environment = {**os.environ, "FLASK_APP": "app", "SWITCHBOARD_ENV": "testing",
                       "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                       "STORAGE_LOCAL_PATH": app.config["STORAGE_LOCAL_PATH"],
                       "JOBS_SQLITE_PATH": app.config["JOBS_SQLITE_PATH"],
                       "JOBS_RETRY_DELAY_SECONDS": str(app.config["JOBS_RETRY_DELAY_SECONDS"]),
                       "JOBS_POLL_SECONDS": "0.2", "SOCKETIO_ASYNC_MODE": "threading"}
        consumer = JobConsumer(environment, tmp_path / "consumer.log").start()
        started.append(consumer)
        return consumer

    yield start
    for consumer in started:
        consumer.stop()


def attachment_status(attachment_id: int) -> str:
    return fresh(db.select(Attachment.status).where(Attachment.id == attachment_id)).scalar_one()


def test_a_job_queued_while_no_consumer_runs_survives_until_one_starts(app, alice, consumer_for):
    group = make_group(alice)
    first, second = (upload_attachment(alice, group.id, name, None, io.BytesIO(PDF_BYTES))
                     for name in ("first.pdf", "second.pdf"))
    with atomic():
        db.session.get(Attachment, first.id).created_at -= timedelta(days=2)
        enqueue_on_commit(purge_unsent_uploads_hourly)
    assert job_queue().queued_count() == 1 and attachment_status(first.id) == "ready"
    consumer = consumer_for()
    wait_for(lambda: attachment_status(first.id) == "deleted", what="the purge, run by the consumer")
    consumer.stop()
    assert "Shutting down gracefully" in consumer.log_text() and "All workers have stopped" in consumer.log_text()

    with atomic():  # while the consumer is down, as during a restart
        db.session.get(Attachment, second.id).created_at -= timedelta(days=2)
        enqueue_on_commit(purge_unsent_uploads_hourly)
    assert job_queue().queued_count() == 1 and attachment_status(second.id) == "ready"
    consumer_for()
    wait_for(lambda: attachment_status(second.id) == "deleted", what="the purge, run by the restarted consumer")
    wait_for(lambda: job_queue().queued_count() == 0, what="the queue to empty")


def test_a_job_that_keeps_failing_is_recorded_as_failed_with_its_error(app, alice, consumer_for):
    group = make_group(alice)
    image = upload_attachment(alice, group.id, "photo.png", None, io.BytesIO(png_bytes()))
    job_queue().huey.flush()  # its thumbnail job: queued again below, once the file is gone
    get_storage().delete(image.storage_key)  # the storage lost the file: the thumbnail cannot be made
    with atomic():
        enqueue_on_commit(make_attachment_thumbnail, image.id)
    consumer_for()

    def failed() -> JobFailure | None:
        return fresh(db.select(JobFailure).where(JobFailure.status == "failed")).scalar_one_or_none()

    failure = wait_for(failed, timeout=30, what="the last retry to fail")
    assert (failure.job_name, failure.arguments, failure.attempts) == (make_attachment_thumbnail.name, [image.id], 6)
    assert "FileNotFoundError" in failure.error or "ObjectMissing" in failure.error
