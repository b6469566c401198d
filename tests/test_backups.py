"""`flask backup` and `flask restore` (backups.py) on a live deployment, SQLite and PostgreSQL with
local storage: backed up while serving, then changed (messages sent and edited, an account and a
file added), stopped and restored: the original messages, accounts and file bytes are back, and
what came after the backup is gone."""
from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

from backups import BackupError, back_up, restore
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
