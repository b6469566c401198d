"""ops.readiness and /healthz, /readyz through the app: each dependency checked for real, stopped
or made unreachable one at a time; /healthz asks none of them."""
from __future__ import annotations

import logging

import pytest

from tests.database_apps import sqlite_copy
from tests.database_apps import testing_app as build_app
from tests.files.conftest import BUCKET, CREDENTIALS, REGION

DEPENDENCIES = {"database", "message_queue", "jobs", "storage"}


def make_app(tmp_path, migrated_sqlite, **settings):
    tmp_path.mkdir(parents=True, exist_ok=True)
    return build_app(sqlite_copy(migrated_sqlite, tmp_path), tmp_path, settings)


def readyz(app):
    with app.app_context():
        response = app.test_client().get("/readyz")
    return response.status_code, response.get_json()


def down(body: dict) -> dict[str, str]:
    """The checks that are down, with their error code."""
    return {name: check["error"] for name, check in body["checks"].items() if check["status"] == "down"}


@pytest.fixture
def aws_credentials(monkeypatch):
    for name, value in {**CREDENTIALS, "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)


def test_all_up_on_one_machine(tmp_path, migrated_sqlite):
    status, body = readyz(make_app(tmp_path, migrated_sqlite))
    assert status == 200 and body["ok"] is True
    assert set(body["checks"]) == DEPENDENCIES
    assert {name: (check["status"], check["backend"]) for name, check in body["checks"].items()} == {
        "database": ("up", "sqlite"), "message_queue": ("up", "in-process"), "jobs": ("up", "sqlite"),
        "storage": ("up", "local")}
    assert all(isinstance(check["latency_ms"], float) and check["latency_ms"] >= 0
               for check in body["checks"].values())


def test_healthz_asks_no_dependency(tmp_path, migrated_sqlite, closed_port):
    """The database unreachable: the process is alive (/healthz 200), not ready (/readyz 503)."""
    app = make_app(tmp_path, migrated_sqlite,
                   SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://nobody@127.0.0.1:{closed_port}/nothing")
    with app.app_context():
        health = app.test_client().get("/healthz")
    assert health.status_code == 200 and health.get_json() == {"ok": True}
    status, body = readyz(app)
    assert status == 503 and body["ok"] is False
    assert down(body) == {"database": "unreachable"}
    assert body["checks"]["database"]["backend"] == "postgresql"


def test_redis_of_the_message_queue_stopped(tmp_path, migrated_sqlite, stoppable_redis, redis_server):
    app = make_app(tmp_path, migrated_sqlite, SOCKETIO_MESSAGE_QUEUE=stoppable_redis.url,
                   JOBS_REDIS_URL=redis_server.url, PRESENCE_REDIS_URL=redis_server.url)
    status, body = readyz(app)
    assert status == 200 and body["checks"]["message_queue"] == {**body["checks"]["message_queue"], "status": "up",
                                                                  "backend": "redis"}
    stoppable_redis.stop()
    status, body = readyz(app)
    assert status == 503 and down(body) == {"message_queue": "unreachable"}
    assert body["checks"]["jobs"]["status"] == "up" and body["checks"]["jobs"]["backend"] == "redis"


def test_redis_of_the_job_queue_stopped(tmp_path, migrated_sqlite, stoppable_redis):
    app = make_app(tmp_path, migrated_sqlite, JOBS_REDIS_URL=stoppable_redis.url)
    assert readyz(app)[0] == 200
    stoppable_redis.stop()
    status, body = readyz(app)
    assert status == 503 and down(body) == {"jobs": "unreachable"}


def test_sqlite_job_queue_gone(tmp_path, migrated_sqlite):
    """The queue's file replaced by a folder: Huey cannot read its table."""
    app = make_app(tmp_path, migrated_sqlite)
    path = tmp_path / "gone-jobs.db"
    app.config["JOBS_SQLITE_PATH"] = str(path)
    from jobs.queue import build_huey

    app.extensions["jobs"].huey = build_huey(app.config)
    assert readyz(app)[0] == 200
    path.unlink()
    path.mkdir()
    status, body = readyz(app)
    assert status == 503 and down(body) == {"jobs": "failed"}


def test_local_storage_folder_unusable(tmp_path, migrated_sqlite):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    app = make_app(tmp_path, migrated_sqlite, STORAGE_LOCAL_PATH=str(blocker / "files"))
    status, body = readyz(app)
    assert status == 503 and down(body) == {"storage": "unreachable"}


def test_s3_bucket_reachable_then_not(tmp_path, migrated_sqlite, moto, aws_credentials, closed_port):
    reachable = make_app(tmp_path / "up", migrated_sqlite, STORAGE_BACKEND="s3", S3_BUCKET=BUCKET,
                         S3_REGION=REGION, S3_ENDPOINT_URL=moto.url)
    status, body = readyz(reachable)
    assert status == 200 and body["checks"]["storage"]["backend"] == "s3"
    missing_bucket = make_app(tmp_path / "missing", migrated_sqlite, STORAGE_BACKEND="s3", S3_BUCKET="no-such-bucket",
                              S3_REGION=REGION, S3_ENDPOINT_URL=moto.url)
    status, body = readyz(missing_bucket)
    assert status == 503 and down(body) == {"storage": "failed"}
    unreachable = make_app(tmp_path / "down", migrated_sqlite, STORAGE_BACKEND="s3", S3_BUCKET=BUCKET,
                           S3_REGION=REGION, S3_ENDPOINT_URL=f"http://127.0.0.1:{closed_port}")
    status, body = readyz(unreachable)
    assert status == 503 and down(body) == {"storage": "unreachable"}


def test_a_dependency_that_hangs_is_reported_down_not_waited_for(tmp_path, migrated_sqlite, silent_server):
    app = make_app(tmp_path, migrated_sqlite, SOCKETIO_MESSAGE_QUEUE=f"redis://127.0.0.1:{silent_server}/0",
                   JOBS_REDIS_URL="", PRESENCE_REDIS_URL="", READINESS_TIMEOUT_SECONDS=0.5)
    status, body = readyz(app)
    assert status == 503 and down(body) == {"message_queue": "timeout"}


def test_details_are_for_operators_only(tmp_path, migrated_sqlite, closed_port):
    from ops.readiness import check_all

    app = make_app(tmp_path, migrated_sqlite, JOBS_REDIS_URL=f"redis://127.0.0.1:{closed_port}/0")
    full = check_all(app)
    assert f"{closed_port}" in full["checks"]["jobs"]["detail"]
    status, body = readyz(app)
    assert "detail" not in body["checks"]["jobs"] and str(closed_port) not in str(body)


def test_a_dependency_going_down_is_logged_once(tmp_path, migrated_sqlite, stoppable_redis, caplog):
    app = make_app(tmp_path, migrated_sqlite, JOBS_REDIS_URL=stoppable_redis.url)
    readyz(app)
    stoppable_redis.stop()
    with caplog.at_level(logging.INFO, logger="ops.readiness"):
        for _ in range(3):
            assert readyz(app)[0] == 503
        stoppable_redis.start()
        assert readyz(app)[0] == 200
        assert readyz(app)[0] == 200
    lines = [record.getMessage() for record in caplog.records if record.name == "ops.readiness"]
    assert len(lines) == 2, lines
    assert lines[0].startswith("readiness: jobs (redis) is down") and lines[1] == "readiness: jobs (redis) is up again"


# The schema: a database the code's migrations have not all run on (`flask db upgrade` forgotten after
# an update, or not run at all) is not ready, and says why, where every request would fail on a
# missing column or table. A newer schema than the code's is ready: during a rolling upgrade the old
# instances run on the new schema for a moment (docs/deployment.md, "Upgrades").

def app_at_revision(tmp_path, revision: str | None):
    from flask_migrate import upgrade

    from extensions import db
    from ops.readiness import check_all

    tmp_path.mkdir(parents=True, exist_ok=True)
    app = build_app(f"sqlite:///{tmp_path / 'schema.db'}", tmp_path)
    with app.app_context():
        if revision is not None:
            upgrade(revision=revision)
        db.session.remove()
    return app, check_all


def test_a_database_behind_the_code_is_not_ready_and_says_to_upgrade(tmp_path):
    app, check_all = app_at_revision(tmp_path, "0016_lockout_by_name")
    status, body = readyz(app)
    assert status == 503 and down(body) == {"database": "schema"}
    detail = check_all(app)["checks"]["database"]["detail"]  # what the log and the back office show
    assert "0016_lockout_by_name" in detail and "flask db upgrade" in detail


def test_a_database_without_a_schema_is_not_ready(tmp_path):
    app, check_all = app_at_revision(tmp_path, None)
    status, body = readyz(app)
    assert status == 503 and down(body) == {"database": "schema"}
    assert "flask db upgrade" in check_all(app)["checks"]["database"]["detail"]


def test_a_database_ahead_of_the_code_is_ready(tmp_path):
    from sqlalchemy import text

    from extensions import db

    app, _ = app_at_revision(tmp_path, "head")
    with app.app_context():
        db.session.execute(text("UPDATE alembic_version SET version_num = '0099_a_later_release'"))
        db.session.commit()
        db.session.remove()
    status, body = readyz(app)
    assert status == 200 and body["ok"] is True
