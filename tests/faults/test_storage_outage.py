"""S3 unreachable: a gunicorn on the S3 backend reaches moto's server through a TCP relay the test
can cut (connections refused, open ones reset) and restore on the same port, so the bucket keeps
its objects. While it is cut, uploads through the server and the completion of direct uploads
answer 503 `storage_unavailable` and store nothing; the chat goes on (sends over sockets and REST,
a message with a file stored before); once it is back, uploads work again by themselves."""
from __future__ import annotations

import socket
import threading

import pytest

from tests.faults.conftest import database_rows
from tests.files.conftest import BUCKET, MotoServer, s3_settings
from tests.files.live import complete, direct_upload, upload
from tests.files.samples import PDF_BYTES
from tests.integration.chat import create_group
from tests.servers import ChatUser, LiveServer, free_port
from tests.wire_client import WireHub

pytestmark = [pytest.mark.integration, pytest.mark.faults]

STORAGE_UNAVAILABLE = {"ok": False, "error": {
    "code": "storage_unavailable", "message": "File storage is briefly unavailable; nothing was changed. Try again."}}


class CuttableRelay:
    """127.0.0.1:port → target, byte for byte, until `cut()`; `restore()` listens again on the same port."""

    def __init__(self, target_port: int) -> None:
        self.port, self.target_port = free_port(), target_port
        self.listener: socket.socket | None = None
        self.connections: list[socket.socket] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def restore(self) -> CuttableRelay:
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()
        return self

    def cut(self) -> None:
        for open_socket in [self.listener, *self.connections]:
            try:
                open_socket.shutdown(socket.SHUT_RDWR)  # wakes the threads blocked on it
            except OSError:
                pass
            open_socket.close()
        self.connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.fixture(scope="module")
def s3_behind_a_relay(tmp_path_factory):
    moto = MotoServer().start()
    moto.client().create_bucket(Bucket=BUCKET)
    relay = CuttableRelay(moto.port).restore()
    server = LiveServer(tmp_path_factory.mktemp("s3-outage"), jobs=False, env=s3_settings(relay.url))
    server.migrate()
    yield server.start(), relay
    server.stop()
    relay.cut()
    moto.stop()


def attachments(server: LiveServer) -> int:
    return database_rows(server, "SELECT count(*) FROM attachments")[0][0]


def test_uploads_fail_clearly_while_s3_is_unreachable_and_chat_goes_on(s3_behind_a_relay):
    server, relay = s3_behind_a_relay
    alice, bob = ChatUser.register(server.url), ChatUser.register(server.url)
    group_id = create_group(alice, (bob,))
    before = upload(alice, group_id, PDF_BYTES, "before.pdf")
    assert before.status_code == 201, before.text
    started, posted = direct_upload(alice, group_id, PDF_BYTES, "direct.pdf", "application/pdf")
    assert posted.status_code == 204  # in the bucket, not completed yet
    hub = WireHub()
    listening = hub.connect(server.url, bob.token, "bob")

    relay.cut()
    try:
        refused = upload(alice, group_id, PDF_BYTES, "during.pdf")
        assert (refused.status_code, refused.json()) == (503, STORAGE_UNAVAILABLE)
        assert attachments(server) == 2  # nothing stored for it
        not_completed = complete(alice, started["attachment"]["id"])
        assert (not_completed.status_code, not_completed.json()) == (503, STORAGE_UNAVAILABLE)

        # The chat goes on: a message with the file stored before, over REST, and one over a socket.
        with_file = alice.api("POST", f"/conversations/{group_id}/messages",
                              json={"body": "the file from before", "attachment_id": before.json()["attachment"]["id"]})
        assert with_file.status_code == 201, with_file.text
        sending = hub.connect(server.url, alice.token, "alice")
        sent = sending.emit("message:send", {"conversation_id": group_id, "body": "storage is down, chat is not"})
        hub.pump(lambda: sent.answered and len(listening.events("message:new")) == 2, what="the messages")
        assert sent.answer["ok"] is True
        assert [frame.payload["message"]["body"] for frame in listening.events("message:new")] == [
            "the file from before", "storage is down, chat is not"]
    finally:
        relay.restore()
        hub.close()

    after = upload(alice, group_id, PDF_BYTES, "after.pdf")  # back by itself
    assert after.status_code == 201, after.text
    completed = complete(alice, started["attachment"]["id"])  # the same completion, asked again
    assert completed.status_code == 200, completed.text
    assert attachments(server) == 3
    log_lines = server.log_text().splitlines()
    assert [line for line in log_lines if " ERROR " in line or "Traceback" in line] == []
    assert len([line for line in log_lines if "file storage unavailable" in line]) == 2
