"""One live server (gunicorn + its job consumer) for chat search and Web Push, and a local push
service: an HTTP server that records what the job consumer POSTs to it."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from py_vapid import Vapid

from tests.servers import LiveServer

BUSY_SECONDS = 4


class PushService:
    """Records every push: (path, headers, body). A path ending in /gone answers 410; one holding /busy
    answers its first push 429 with Retry-After: BUSY_SECONDS, then 201."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict, bytes]] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                headers["x-received-at"] = str(time.monotonic())  # when it came (not a header that was sent)
                service.received.append((self.path, headers, body))
                busy = "/busy" in self.path and len(service.to(self.path)) == 1
                self.send_response(410 if self.path.endswith("/gone") else 429 if busy else 201)
                if busy:
                    self.send_header("Retry-After", str(BUSY_SECONDS))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"  # for WEB_PUSH_ENDPOINT_HOSTS
        self.url = f"http://{self.host}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def to(self, path: str) -> list[tuple[str, dict, bytes]]:
        return [entry for entry in self.received if entry[0] == path]


@pytest.fixture(scope="package")
def push_service():
    service = PushService()
    yield service
    service.server.shutdown()


@pytest.fixture(scope="package")
def notifications_server(tmp_path_factory, push_service):
    workdir = tmp_path_factory.mktemp("notifications-live")
    key_file = workdir / "vapid_private_key.pem"
    vapid = Vapid()
    vapid.generate_keys()
    key_file.write_bytes(vapid.private_pem())
    # The local push service is the one this server may post to (WEB_PUSH_ENDPOINT_HOSTS, docs/security.md).
    server = LiveServer(workdir, env={"VAPID_PRIVATE_KEY_FILE": str(key_file), "WEB_PUSH_ALLOW_HTTP": "1",
                                      "WEB_PUSH_ENDPOINT_HOSTS": push_service.host,
                                      "VAPID_SUBJECT": "mailto:ops@example.test", "PRESENCE_GRACE_SECONDS": "1",
                                      "JOBS_POLL_SECONDS": "0.2"})
    server.migrate()
    server.start()
    yield server
    server.stop()
