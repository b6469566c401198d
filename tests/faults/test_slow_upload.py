"""A client that uploads slowly holds no database connection and no place at the gate in front of the
units of work while its body comes (events.unit_of_work.outside_the_database). On PostgreSQL with one
pooled connection, waited for at most 1 s, three uploads stalled halfway (a file through the server, one
straight to the local storage's signed URL, a profile picture) leave everyone else served: without
this, the first stalled upload keeps the one connection and every other request is refused
`unavailable`. All three then finish and are stored."""
from __future__ import annotations

import json
import socket

import pytest

from tests.engines import PostgresServer
from tests.faults.conftest import storage_root
from tests.files.live import complete, download
from tests.files.samples import PDF_BYTES, png_bytes
from tests.integration.chat import create_group, history
from tests.servers import ChatUser, LiveServer, wait_for
from tests.wire_client import WireHub

pytestmark = [pytest.mark.integration, pytest.mark.faults]

FILE_BYTES = 512 * 1024  # several of the reader's 64 KiB chunks reach storage before the stall
BOUNDARY = "slow-upload-boundary"


@pytest.fixture(scope="module")
def one_connection_server(tmp_path_factory):
    postgres = PostgresServer().start()
    server = LiveServer(tmp_path_factory.mktemp("slow-upload"), jobs=False, env={
        "DATABASE_URL": postgres.url, "DATABASE_POOL_SIZE": "1", "DATABASE_MAX_OVERFLOW": "0",
        "DATABASE_POOL_TIMEOUT": "1"})
    server.migrate()
    yield server.start()
    server.stop()
    postgres.stop()


def form(fields: dict[str, str], data: bytes, filename: str = "slow.pdf",
         content_type: str = "application/pdf") -> bytes:
    parts = b"".join(f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n".encode()
                     for name, value in fields.items())
    return parts + (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
                    f"Content-Type: {content_type}\r\n\r\n").encode() + data + f"\r\n--{BOUNDARY}--\r\n".encode()


class StalledUpload:
    """A POST whose whole length is announced and half of it sent; `finish()` sends the rest."""

    def __init__(self, server: LiveServer, path: str, headers: dict[str, str], body: bytes) -> None:
        self.body = body
        self.connection = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.connection.sendall((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}"
                                 f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
                                 f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode())
        self.connection.sendall(body[:len(body) // 2])

    def finish(self) -> tuple[int, dict | None]:
        """The rest sent: the answer's status and JSON body (None if it has none)."""
        self.connection.sendall(self.body[len(self.body) // 2:])
        answer = b""
        while chunk := self.connection.recv(65536):
            answer += chunk
        self.connection.close()
        head, _, body = answer.partition(b"\r\n\r\n")
        return int(head.split(b" ", 2)[1]), json.loads(body) if body else None


def uploads_in_progress(server: LiveServer) -> int:
    """Temporary files of uploads being written (storage/local.py writes beside the key, then renames)."""
    return len(list(storage_root(server).rglob(".upload-*")))


def test_stalled_uploads_leave_the_database_to_everyone_else(one_connection_server):
    server = one_connection_server
    alice, bob = ChatUser.register(server.url), ChatUser.register(server.url)
    group_id = create_group(alice, (bob,))
    data = PDF_BYTES + b"%" * (FILE_BYTES - len(PDF_BYTES))
    started = alice.api("POST", f"/conversations/{group_id}/files/direct",
                        json={"filename": "direct.pdf", "content_type": "application/pdf", "size": len(data)})
    assert started.status_code == 201, started.text
    direct = started.json()

    picture = StalledUpload(server, "/api/me/avatar", {"Authorization": f"Bearer {bob.token}"},
                            form({}, png_bytes(), "me.png", "image/png"))  # read in memory: no file to wait for
    through_server = StalledUpload(server, f"/api/conversations/{group_id}/files",
                                   {"Authorization": f"Bearer {alice.token}"}, form({}, data))
    wait_for(lambda: uploads_in_progress(server) == 1, what="the upload through the server being stored")
    straight = StalledUpload(server, direct["upload"]["url"], {}, form(direct["upload"]["fields"], data))
    wait_for(lambda: uploads_in_progress(server) == 2, what="the direct upload being stored")

    # The three uploads are halfway, their clients silent: the one connection is free for everyone else.
    for _ in range(3):
        listed = bob.api("GET", "/conversations")
        assert listed.status_code == 200, listed.text
    hub = WireHub()
    try:
        wire = hub.connect(server.url, bob.token, bob.username)
        send = wire.emit("message:send", {"conversation_id": group_id, "body": "while two uploads stall",
                                          "client_id": "slow-upload-1"})
        hub.pump(lambda: send.answered, what="the send's ack")
        assert send.answer["ok"] is True, send.answer
    finally:
        hub.close()
    assert uploads_in_progress(server) == 2  # still stalled all along

    status, uploaded = through_server.finish()
    assert status == 201 and uploaded["attachment"]["status"] == "ready", uploaded
    assert straight.finish() == (204, None)
    status, pictured = picture.finish()
    assert status == 200 and pictured["user"]["has_avatar"] is True, pictured
    completed = complete(alice, direct["attachment"]["id"])
    assert completed.status_code == 200 and completed.json()["attachment"]["size"] == len(data), completed.text
    for attachment_id in (uploaded["attachment"]["id"], direct["attachment"]["id"]):
        assert download(alice, f"/files/{attachment_id}").status_code == 302
    assert [message["body"] for message in history(alice, group_id)] == ["while two uploads stall"]
    assert "database unavailable" not in server.log_text()
