"""A client that drops in the middle of an upload through the server (POST
/api/conversations/<id>/files, streamed to storage as it arrives, blueprints/files/multipart.py):
nothing half-written stays usable. No attachment row, no object under a key, no temporary file
left behind, a client error in the log and no fault; the same user's next upload works."""
from __future__ import annotations

import socket
import struct

import pytest
import requests

from tests.faults.conftest import database_rows, server_faults, storage_root
from tests.files.samples import PDF_BYTES
from tests.servers import ChatUser, LiveServer, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.faults]

FILE_BYTES = 4 * 1024 * 1024  # several of the reader's 64 KiB chunks reach storage before the cut
BOUNDARY = "cut-off-boundary"
# The request log's line of an upload through the server (ops.logs: method, route template, status).
UPLOAD_LINE = "POST /api/conversations/<id:conversation_id>/files "


def multipart_body(data: bytes) -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"half.pdf\"\r\n"
            f"Content-Type: application/pdf\r\n\r\n").encode() + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def send_half_and_drop(server_port: int, user: ChatUser, conversation_id: int, body: bytes, how: str) -> bytes:
    """Announce the whole body, send half of it, then go away: `fin` closes the sending side (a
    client that stops), `reset` aborts with a TCP reset (a crash, a cut network). What the server
    answered before the connection closed, if anything."""
    connection = socket.create_connection(("127.0.0.1", server_port), timeout=10)
    connection.sendall((f"POST /api/conversations/{conversation_id}/files HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        f"Authorization: Bearer {user.token}\r\n"
                        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n").encode())
    connection.sendall(body[:len(body) // 2])
    answer = b""
    if how == "fin":
        connection.shutdown(socket.SHUT_WR)
        while chunk := connection.recv(65536):
            answer += chunk
    else:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()
    return answer


def uploads_answered(server: LiveServer) -> list[str]:
    """The server's request log lines of uploads through it. Each is written once the server is done
    with the request (ops.logs, in after_request): a failed upload's temporary file is removed and its
    unit of work rolled back by then."""
    return [line for line in server.log_text().splitlines() if UPLOAD_LINE in line]


def leftovers(root) -> list[str]:
    """Temporary files of uploads in progress (storage/local.py writes beside the key, then renames)."""
    return [str(path) for path in root.rglob(".upload-*")]


@pytest.mark.parametrize("how", ["fin", "reset"])
def test_an_upload_cut_off_halfway_leaves_nothing_usable(fault_server, how):
    alice, bob = ChatUser.register(fault_server.url), ChatUser.register(fault_server.url)
    group = alice.api("POST", "/groups", json={"name": "Uploads", "member_ids": [bob.id]}).json()["conversation"]
    data = PDF_BYTES + b"%" * (FILE_BYTES - len(PDF_BYTES))
    faults_before = len(server_faults(fault_server))
    answered_before = len(uploads_answered(fault_server))

    answer = send_half_and_drop(fault_server.port, alice, group["id"], multipart_body(data), how)
    if answer:  # the server saw the body end early: a client error, never a 5xx
        assert answer.startswith(b"HTTP/1.1 4"), answer[:200]
    # After a reset the client has gone before the server has read what it was sent (it may not have
    # begun storing yet): checking now would pass before any temporary file exists, or find one still
    # being written. The server's log line for the cut upload says it has finished with it.
    (logged,) = wait_for(lambda: uploads_answered(fault_server)[answered_before:], timeout=20,
                         what="the server done with the cut upload")
    assert f"{UPLOAD_LINE}4" in logged, logged  # the body ended early: a client error, never a 5xx
    root = storage_root(fault_server)
    assert leftovers(root) == []

    assert database_rows(fault_server, "SELECT id FROM attachments WHERE conversation_id = ?", group["id"]) == []
    folder = root / "files" / str(group["id"])
    assert not folder.exists() or [path.name for path in folder.iterdir()] == []  # names what is there, if any
    listing = requests.get(f"{fault_server.url}/api/conversations/{group['id']}/messages", headers=alice.headers,
                           timeout=10).json()["messages"]
    assert listing == []

    # The next upload of the same user works, and is stored whole under the key its row names.
    whole = alice.api("POST", f"/conversations/{group['id']}/files",
                      files={"file": ("whole.pdf", data, "application/pdf")})
    assert whole.status_code == 201, whole.text
    attachment = whole.json()["attachment"]
    ((key, size),) = database_rows(fault_server, "SELECT storage_key, size FROM attachments WHERE conversation_id = ?",
                                   group["id"])
    assert size == len(data) and (root / key).read_bytes() == data
    assert [path.name for path in folder.iterdir()] == [key.rsplit("/", 1)[1]]
    sent = alice.api("POST", f"/conversations/{group['id']}/messages",
                     json={"body": "the whole file", "attachment_id": attachment["id"]})
    assert sent.status_code == 201, sent.text
    assert leftovers(root) == []
    assert server_faults(fault_server)[faults_before:] == []
