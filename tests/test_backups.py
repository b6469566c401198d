"""`flask backup` and `flask restore` (backups.py) on a live deployment, SQLite and PostgreSQL with
local storage: backed up while serving, then changed (messages sent and edited, an account and a
file added), stopped and restored: the original messages, accounts and file bytes are back, and
what came after the backup is gone."""
from __future__ import annotations

import itertools
import json
import os
import sqlite3
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

import backups
from actions.accounts import register_user
from backups import BackupError, back_up, restore
from extensions import db
from storage.local import TEMPORARY_PREFIX
from tests.database_apps import app_on, postgres_database
from tests.database_apps import testing_app as build_app
from tests.engines import PostgresServer
from tests.files.live import download, follow, upload
from tests.files.samples import PDF_BYTES, png_bytes
from tests.integration.chat import create_group, history
from tests.servers import ROOT, VENV_BIN, ChatUser, LiveServer

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def deployment(request, tmp_path) -> Iterator[LiveServer]:
    postgres = PostgresServer().start() if request.param == "postgresql" else None
    server = LiveServer(tmp_path / "deployment", env={"DATABASE_URL": postgres.url} if postgres else {}, jobs=False)
    server.migrate()
    yield server.start()
    if server.process is not None:
        server.stop()
    if postgres is not None:
        postgres.stop()


def flask(server: LiveServer, *arguments: str) -> subprocess.CompletedProcess:
    """A `flask` command with the deployment's settings, as an operator runs it."""
    return subprocess.run([str(VENV_BIN / "flask"), *arguments], cwd=ROOT, env=server.environment(),
                          capture_output=True, text=True, timeout=60)


def send(user: ChatUser, conversation_id: int, body: str, attachment_id: int | None = None) -> dict:
    sent = user.api("POST", f"/conversations/{conversation_id}/messages",
                    json={"body": body, **({"attachment_id": attachment_id} if attachment_id else {})})
    assert sent.status_code == 201, sent.text
    return sent.json()["message"]


def file_bytes(user: ChatUser, attachment_id: int) -> tuple[int, bytes]:
    redirected = download(user, f"/files/{attachment_id}")
    if redirected.status_code != 302:
        return redirected.status_code, b""
    fetched = follow(user, redirected.headers["Location"])
    return fetched.status_code, fetched.content


def test_a_restored_backup_holds_the_data_of_its_time(deployment, tmp_path):
    server = deployment
    alice, bob = ChatUser.register(server.url), ChatUser.register(server.url)
    group_id = create_group(alice, (bob,))
    first = send(alice, group_id, "one")
    send(bob, group_id, "two")
    kept = upload(alice, group_id, PDF_BYTES, "kept.pdf").json()["attachment"]
    send(alice, group_id, "with a file", kept["id"])
    before = history(alice, group_id)

    backed_up = flask(server, "backup", str(tmp_path / "backup"))  # while the server serves
    assert backed_up.returncode == 0, backed_up.stderr
    engine = "postgresql" if "postgresql" in server.env.get("DATABASE_URL", "") else "sqlite"
    assert f"Backed up the {engine} database" in backed_up.stdout
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert (manifest["database"], manifest["storage"], manifest["files"]) == (engine, "local", 1)

    # Life goes on after the backup.
    assert alice.api("PATCH", f"/messages/{first['id']}", json={"body": "changed"}).status_code == 200
    send(bob, group_id, "after the backup")
    later = upload(bob, group_id, png_bytes(), "later.png").json()["attachment"]
    carol = ChatUser.register(server.url)
    assert history(alice, group_id) != before

    server.stop()
    restored = flask(server, "restore", "--yes", str(tmp_path / "backup"))
    assert restored.returncode == 0, restored.stderr
    server.start()

    assert history(alice, group_id) == before
    assert file_bytes(alice, kept["id"]) == (200, PDF_BYTES)
    assert file_bytes(bob, later["id"])[0] == 404
    assert carol.api("GET", "/me").status_code == 401  # her account came after the backup
    assert bob.api("GET", "/me").status_code == 200


def test_restore_refuses_a_folder_without_a_backup(app, tmp_path):
    with pytest.raises(BackupError, match="holds no readable backup"):
        restore(app, tmp_path)


def test_a_backup_never_goes_over_another(app, tmp_path):
    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(BackupError, match="is not empty"):
        back_up(app, tmp_path)


OLDER_SCHEMA = "0013_message_depth"  # before push_subscriptions (0014), whose key refers to users


def test_a_backup_of_an_older_schema_restores_over_a_newer_one_on_postgresql(postgres, tmp_path):
    # The upgrade path docs/deployment.md gives: restore last night's backup with the code of a newer
    # release, then `flask db upgrade`. pg_restore --clean drops only what the backup holds: the tables
    # of later migrations stayed (and refused the drop of users' key), or made the upgrade fail.
    with postgres_database(postgres) as url, app_on(url, tmp_path, migrate=False) as app:
        upgrade(revision=OLDER_SCHEMA)
        db.session.execute(text(
            "INSERT INTO users (username, display_name, password_hash, active, role, must_change_password, "
            "created_at) VALUES ('kept', 'Kept', 'x', true, 'user', false, now())"))
        db.session.commit()
        assert back_up(app, tmp_path / "backup").schema_revision == OLDER_SCHEMA
        db.session.remove()
        upgrade()
        register_user("later", "correct horse battery")
        db.session.commit()
        db.session.remove()

        assert restore(app, tmp_path / "backup").schema_revision == OLDER_SCHEMA
        assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == OLDER_SCHEMA
        assert db.session.execute(text("SELECT to_regclass('push_subscriptions')")).scalar() is None
        db.session.remove()
        upgrade()
        assert db.session.execute(text("SELECT username FROM users")).scalars().all() == ["kept"]
        register_user("after", "correct horse battery")
        db.session.commit()


def test_a_restore_that_fails_on_postgresql_changes_nothing(postgres, tmp_path):
    with postgres_database(postgres) as url, app_on(url, tmp_path) as app:
        register_user("kept", "correct horse battery")
        db.session.commit()
        back_up(app, tmp_path / "backup")
        dump = tmp_path / "backup" / "database.pgdump"
        dump.write_bytes(dump.read_bytes()[:-200])  # its last table's rows cut short
        register_user("later", "correct horse battery")
        db.session.commit()
        db.session.remove()

        with pytest.raises(BackupError, match="pg_restore failed"):
            restore(app, tmp_path / "backup")
        assert db.session.execute(text("SELECT username FROM users ORDER BY id")).scalars().all() == ["kept", "later"]
        assert db.session.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1


def test_a_backup_that_fails_on_postgresql_leaves_no_folder(postgres, tmp_path, monkeypatch):
    # pg_dump refusing (here, as it does against a newer server) left the new folder with the files copied
    # and no manifest: the nightly unit's rotation counted it as one of its 14, pushing a real backup out.
    stand_in = tmp_path / "bin" / "pg_dump"
    stand_in.parent.mkdir()
    stand_in.write_text("#!/bin/sh\necho 'pg_dump: error: aborting because of server version mismatch' >&2\nexit 1\n")
    stand_in.chmod(0o755)
    monkeypatch.setenv("PATH", f"{stand_in.parent}:{os.environ['PATH']}")
    with postgres_database(postgres) as url, app_on(url, tmp_path) as app:
        (Path(app.config["STORAGE_LOCAL_PATH"]) / "an-object").parent.mkdir(parents=True, exist_ok=True)
        (Path(app.config["STORAGE_LOCAL_PATH"]) / "an-object").write_bytes(PDF_BYTES)
        for folder in (tmp_path / "backups" / "20261205-031500", tmp_path / "given-empty"):
            if folder.name == "given-empty":
                folder.mkdir()
            with pytest.raises(BackupError, match="pg_dump failed: .*version mismatch"):
                back_up(app, folder)
        assert not (tmp_path / "backups" / "20261205-031500").exists()
        assert list((tmp_path / "given-empty").iterdir()) == []  # a folder the operator made stays, empty


def test_a_backup_whose_manifest_cannot_be_written_leaves_no_folder(app, tmp_path, monkeypatch):
    # The disk filling up at the last file, the manifest, left the database and the files copied: no backup
    # (restore refuses it, the rotation does not count it), and never removed by anything.
    write_text = Path.write_text

    def full_disk(path, *arguments, **keywords):
        if path.name == backups.MANIFEST:
            raise OSError(28, "No space left on device")
        return write_text(path, *arguments, **keywords)

    monkeypatch.setattr(Path, "write_text", full_disk)
    folder = tmp_path / "backups" / "20261205-031500"
    with pytest.raises(OSError, match="No space left"):
        back_up(app, folder)
    assert not folder.exists()


def test_files_written_and_removed_during_a_backup_do_not_fail_it(app, tmp_path):
    # Uploads write a temporary file renamed to its key once complete: one listed by the copy and gone
    # when its turn came failed the whole backup (shutil.copytree's error, a traceback from the command).
    files = Path(app.config["STORAGE_LOCAL_PATH"]) / "files" / "1"
    files.mkdir(parents=True)
    for number in range(300):
        (files / f"object-{number}").write_bytes(b"x" * 1000)
    stop = threading.Event()

    def uploads() -> None:
        being_written = []
        for number in itertools.count():
            if stop.is_set():
                return
            temporary = files / f"{TEMPORARY_PREFIX}{number}"
            temporary.write_bytes(b"y")
            being_written.append(temporary)
            if len(being_written) > 20:
                being_written.pop(0).unlink()
            time.sleep(0.0005)

    writer = threading.Thread(target=uploads)
    writer.start()
    try:
        manifests = [back_up(app, tmp_path / f"backup-{number}") for number in range(3)]
    finally:
        stop.set()
        writer.join()
    assert [manifest.files for manifest in manifests] == [300, 300, 300]
    assert not list(tmp_path.glob(f"backup-*/files/**/{TEMPORARY_PREFIX}*"))


def test_an_object_deleted_while_the_database_is_copied_is_in_the_backup(app, tmp_path, monkeypatch):
    # The database copy names the object; the service deletes it (an avatar replaced) before the files
    # are copied: the restored database would name a file the backup does not hold.
    live = Path(app.config["STORAGE_LOCAL_PATH"]) / "files" / "1" / "object"
    live.parent.mkdir(parents=True)
    live.write_bytes(PDF_BYTES)
    database_path = backups._sqlite_path

    def deleted_as_the_database_is_copied(*arguments) -> str:
        live.unlink(missing_ok=True)
        return database_path(*arguments)

    monkeypatch.setattr(backups, "_sqlite_path", deleted_as_the_database_is_copied)
    assert back_up(app, tmp_path / "backup").files == 1
    assert (tmp_path / "backup" / "files" / "files" / "1" / "object").read_bytes() == PDF_BYTES


def test_a_relative_sqlite_url_backs_up_and_restores_the_database_the_app_uses(tmp_path, monkeypatch):
    # Flask-SQLAlchemy opens a relative SQLite path in the app's instance folder; backups.py opened it in
    # the working directory: a new, empty file there was backed up (with the live schema's revision in
    # the manifest), and a restore went into that file, leaving the live database as it was.
    name = f"backup-relative-{uuid.uuid4().hex[:8]}.db"
    monkeypatch.chdir(tmp_path)
    app = build_app(f"sqlite:///{name}", tmp_path)
    live = Path(app.instance_path) / name
    try:
        with app.app_context():
            upgrade()
            register_user("kept", "correct horse battery")
            db.session.commit()
            back_up(app, tmp_path / "backup")
            register_user("later", "correct horse battery")
            db.session.commit()
            db.session.remove()
            with sqlite3.connect(tmp_path / "backup" / "database.sqlite3") as saved:
                assert saved.execute("SELECT username FROM users").fetchall() == [("kept",)]

            restore(app, tmp_path / "backup")
            assert db.session.execute(text("SELECT username FROM users")).scalars().all() == ["kept"]
            db.session.remove()
            db.engine.dispose()
        assert not (tmp_path / name).exists()  # nothing made in the working directory
    finally:
        for path in (live, live.with_name(name + "-wal"), live.with_name(name + "-shm")):
            path.unlink(missing_ok=True)
