"""Objects no row refers to are swept from storage, on local disk and on S3 (moto's server over HTTP);
every object a row refers to stays, and so does anything outside the areas the app stores in."""
from __future__ import annotations

import io
import os
import re
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from botocore.stub import Stubber
from sqlalchemy import event

from actions.file_cleanup import sweep_storage, sweep_storage_daily
from actions.files import incoming_key, start_direct_upload, upload_attachment
from actions.messages import send_message
from actions.profiles import set_avatar, set_group_avatar
from extensions import db
from jobs import job_queue
from storage import EXTENSION_KEY, get_storage
from storage.local import LocalStorage
from storage.s3 import S3Storage
from tests.factories import make_group
from tests.files.conftest import CREDENTIALS, REGION
from tests.files.samples import PDF_BYTES, png_bytes
from tests.helpers import run_queued_jobs

A_DAY = timedelta(hours=24)


@pytest.fixture(params=["local", "s3"])
def storage(request, app):
    """The app's storage: its local folder, or a bucket of its own on moto's server (other tests' objects
    share the session's bucket: a sweep there would take theirs)."""
    if request.param == "s3":
        moto = request.getfixturevalue("moto")
        monkeypatch = request.getfixturevalue("monkeypatch")
        for name, value in CREDENTIALS.items():  # boto3's credential chain reads the process environment
            monkeypatch.setenv(name, value)
        bucket = f"sweep-{uuid.uuid4().hex[:12]}"
        moto.client().create_bucket(Bucket=bucket)
        app.extensions[EXTENSION_KEY] = S3Storage(bucket, region=REGION, endpoint_url=moto.url)
    return get_storage()


def store(storage, key: str) -> str:
    storage.save(key, io.BytesIO(b"left here"), "application/octet-stream")
    return key


def put_as_is(storage, key: str) -> str:
    """An object under a key the app would never make (save() refuses it)."""
    if isinstance(storage, LocalStorage):
        (storage.root / key).parent.mkdir(parents=True, exist_ok=True)
        (storage.root / key).write_bytes(b"not the app's")
    else:
        storage.client.put_object(Bucket=storage.bucket, Key=key, Body=b"not the app's")
    return key


def all_keys(storage) -> set[str]:
    return {listed.key for area in ("files/", "incoming/", "avatars/", "groupavatars/", "other/")
            for listed in storage.listing(area)}


def referenced_world(alice, bob) -> set[str]:
    """One of each kind of object a row refers to; their keys."""
    group = make_group(alice, members=[bob])
    sent = upload_attachment(alice, group.id, "photo.png", None, io.BytesIO(png_bytes(40, 40)))
    send_message(alice, group.id, "", attachment_id=sent.id)
    unsent = upload_attachment(bob, group.id, "notes.pdf", None, io.BytesIO(PDF_BYTES))  # the hourly purge's
    run_queued_jobs()  # the photo's thumbnail
    db.session.refresh(sent)
    direct = start_direct_upload(alice, group.id, "big.pdf", "application/pdf", len(PDF_BYTES)).attachment
    storage = get_storage()
    arriving = store(storage, incoming_key(direct.storage_key))  # the client's upload, not yet completed
    set_avatar(alice, io.BytesIO(png_bytes(64, 64)), None, None)
    set_group_avatar(alice, group.id, io.BytesIO(png_bytes(64, 64)), None, None)
    keys = {sent.storage_key, sent.thumbnail_key, unsent.storage_key, arriving}
    assert sent.thumbnail_key is not None
    keys |= {key for key in all_keys(storage) if key.startswith(("avatars/", "groupavatars/"))}
    assert len(keys) == 4 + 3 + 3  # three sizes of each picture
    return keys


def test_what_rows_refer_to_stays_and_the_rest_goes(app, alice, bob, storage):
    kept = referenced_world(alice, bob)
    group_id = make_group(bob, "Other").id
    orphans = {
        store(storage, f"files/{group_id}/{uuid.uuid4().hex}"),  # stored by a unit that never committed
        store(storage, f"files/{group_id}/{uuid.uuid4().hex}.thumb.jpg"),  # a thumbnail whose row never took it
        store(storage, f"incoming/{group_id}/{uuid.uuid4().hex}"),  # a direct upload of no attachment
        store(storage, f"avatars/{alice.id}/{uuid.uuid4().hex}.small.jpg"),  # a picture replaced
        store(storage, f"groupavatars/{group_id}/{uuid.uuid4().hex}.large.jpg"),  # of a group deleted
    }
    elsewhere = {store(storage, "other/1/not-ours"), put_as_is(storage, "files/README.txt")}  # a bucket
    # may hold other data, in the app's areas too
    assert all_keys(storage) == kept | orphans | elsewhere

    assert sweep_storage(A_DAY) == 0  # all of it younger than a day: a unit may still be about to commit it
    assert all_keys(storage) == kept | orphans | elsewhere

    assert sweep_storage(timedelta(0)) == len(orphans)
    assert all_keys(storage) == kept | elsewhere
    assert sweep_storage(timedelta(0)) == 0  # a second run finds nothing more


def test_a_deleted_files_objects_go_when_their_delete_failed(app, alice, storage):
    group = make_group(alice)
    attachment = upload_attachment(alice, group.id, "photo.png", None, io.BytesIO(png_bytes(40, 40)))
    run_queued_jobs()
    db.session.refresh(attachment)
    attachment.status = "deleted"  # as delete_attachment does, its objects' delete then failing (S3 down)
    db.session.commit()
    assert {attachment.storage_key, attachment.thumbnail_key} <= all_keys(storage)

    assert sweep_storage(timedelta(0)) == 2
    assert not {attachment.storage_key, attachment.thumbnail_key} & all_keys(storage)


def test_only_old_objects_go(app, alice, tmp_path):
    """On local disk, where a file's age can be set: a day and a minute old goes, a minute less stays."""
    storage = get_storage()
    assert isinstance(storage, LocalStorage)
    group_id = make_group(alice).id
    old, young = (store(storage, f"files/{group_id}/{uuid.uuid4().hex}") for _ in range(2))
    now = time.time()
    os.utime(storage.path_for(old), (now, now - A_DAY.total_seconds() - 60))
    os.utime(storage.path_for(young), (now, now - A_DAY.total_seconds() + 60))
    assert sweep_storage(A_DAY) == 1
    assert storage.head(old) is None and storage.head(young) is not None


def test_unfinished_local_writes_are_cleared(app, alice):
    storage = get_storage()
    folder = storage.root / "files" / str(make_group(alice).id)
    folder.mkdir(parents=True)
    old, young = folder / ".upload-killed", folder / ".upload-writing"
    old.write_bytes(b"half a file")
    young.write_bytes(b"half a file")
    now = time.time()
    os.utime(old, (now, now - A_DAY.total_seconds() - 60))
    assert not any(listed.key.endswith((old.name, young.name)) for listed in storage.listing("files/"))

    assert sweep_storage(A_DAY) == 1
    assert not old.exists() and young.exists()  # a write may still be under way


def test_unfinished_s3_multipart_uploads_are_aborted(app, alice, moto, monkeypatch):
    """The app's, not others'. (Their age is not tested here: moto's server says every upload began in
    2010; the local test above checks the same rule on a file's time.)"""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    bucket = f"sweep-{uuid.uuid4().hex[:12]}"
    client = moto.client()
    client.create_bucket(Bucket=bucket)
    app.extensions[EXTENSION_KEY] = S3Storage(bucket, region=REGION, endpoint_url=moto.url)
    key = f"files/{make_group(alice).id}/{uuid.uuid4().hex}"
    client.create_multipart_upload(Bucket=bucket, Key=key)  # a worker killed in the middle of a large save
    client.create_multipart_upload(Bucket=bucket, Key="other/1/theirs")  # not the app's
    assert sweep_storage(timedelta(0)) == 1
    assert [upload["Key"] for upload in client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])] == [
        "other/1/theirs"]


def test_the_command_reports_what_it_deleted_and_keeps_an_hour_at_least(app, alice):
    storage = get_storage()
    group_id = make_group(alice).id
    old, young = (store(storage, f"files/{group_id}/{uuid.uuid4().hex}") for _ in range(2))
    now = time.time()
    os.utime(storage.path_for(old), (now, now - 2 * 3600))
    refused = app.test_cli_runner().invoke(args=["sweep-storage", "--hours", "0"])  # an upload may be on its way
    assert refused.exit_code != 0 and "--hours" in refused.output
    result = app.test_cli_runner().invoke(args=["sweep-storage", "--hours", "1"])
    assert result.exit_code == 0 and "Deleted 1 objects that nothing refers to." in result.output
    assert storage.head(old) is None and storage.head(young) is not None


def test_the_sweep_looks_rows_up_by_key_never_by_scanning_a_table(app, alice, bob):
    """Once per batch of keys: a scan of the files, users or groups for each would cost objects × rows."""
    referenced_world(alice, bob)
    seen: list[tuple[str, object]] = []

    def record(_connection, _cursor, statement, parameters, _context, _executemany):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        sweep_storage(timedelta(0))
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    lookups = [(statement, parameters) for statement, parameters in seen
               if re.search(r"FROM (attachments|users|conversations)\b", statement)]
    assert len(lookups) == 4  # files, incoming, pictures of users, of groups
    connection = db.session.connection()
    for statement, parameters in lookups:
        plan = [row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
        assert not [line for line in plan if line.startswith("SCAN")], (statement, plan)


def test_a_key_not_allowed_to_list_unfinished_uploads_leaves_them_to_a_lifecycle_rule(app, moto, monkeypatch, caplog):
    """docs/deployment.md: without s3:ListBucketMultipartUploads the sweep goes on with the rest, and says so."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    storage = S3Storage(f"sweep-{uuid.uuid4().hex[:12]}", region=REGION, endpoint_url=moto.url)
    with Stubber(storage.client) as stubber:
        stubber.add_client_error("list_multipart_uploads", service_error_code="AccessDenied", http_status_code=403)
        assert storage.clear_leftovers("files/", datetime.now(UTC)) == 0
    assert "not allowed to list or abort unfinished uploads" in caplog.text


def test_the_consumer_sweeps_every_day_at_half_past_four(app):
    task_class = job_queue().tasks[sweep_storage_daily.name].task_class
    assert task_class().validate_datetime(datetime(2026, 1, 1, 4, 30))
    assert not task_class().validate_datetime(datetime(2026, 1, 1, 5, 30))
    assert not task_class().validate_datetime(datetime(2026, 1, 1, 4, 0))
