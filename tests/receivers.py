"""Receivers of the codes Switchboard sends, on 127.0.0.1: an SMTP server (aiosmtpd) that keeps
every message, and an SMS provider's webhook that keeps every request (tests/test_notify.py,
tests/i18n/test_emails.py, tests/integration/test_registration_live.py)."""
from __future__ import annotations

import email
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from tests.servers import free_port


class SmtpInbox:
    """An aiosmtpd handler that keeps every envelope it is given."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's name)
        self.envelopes.append(envelope)
        return "250 OK"

    def messages_to(self, address: str) -> list[EmailMessage]:
        return [email.message_from_bytes(envelope.content, policy=policy.default)
                for envelope in self.envelopes if address in envelope.rcpt_tos]

    def texts_to(self, address: str) -> list[str]:
        return [message.get_content() for message in self.messages_to(address)]


@contextmanager
def smtp_inbox() -> Iterator[tuple[SmtpInbox, int]]:
    """An SMTP server on a free port: (its inbox, its port)."""
    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


class SmsWebhook(ThreadingHTTPServer):
    """What an SMS provider's webhook receives: each request's (headers, body). It answers `status`."""

    status = 200

    def __init__(self) -> None:
        self.requests: list[tuple[dict, bytes]] = []
        super().__init__(("127.0.0.1", free_port()), _SmsWebhookHandler)

    def requests_to(self, phone: str) -> list[tuple[dict, bytes]]:
        return [(headers, body) for headers, body in self.requests if json.loads(body)["to"] == phone]

    def texts_to(self, phone: str) -> list[str]:
        return [json.loads(body)["text"] for _headers, body in self.requests_to(phone)]


class _SmsWebhookHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.server.requests.append((dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@contextmanager
def sms_webhook() -> Iterator[SmsWebhook]:
    """An SMS webhook receiver on a free port, served from a thread."""
    receiver = SmsWebhook()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        yield receiver
    finally:
        receiver.shutdown()
        receiver.server_close()


def webhook_signature(secret: str, headers: dict, body: bytes) -> str:
    """The X-Switchboard-Signature a request with these headers and body must carry (docs/configuration.md)."""
    signed = headers["X-Switchboard-Timestamp"].encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
