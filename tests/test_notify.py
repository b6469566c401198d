"""notify/: the senders of codes, each against a real receiver on 127.0.0.1 (the whole path, job
consumer included, is tests/integration/test_registration_live.py)."""
import json
import logging
import smtplib

import pytest

from notify import OutgoingMessage, send
from tests.receivers import sms_webhook, webhook_signature

MESSAGE = OutgoingMessage("email", "dave@example.org", "Your code", "Your Switchboard code is 123456.", "confirm")


def smtp_settings(app, port: int, security: str) -> None:
    app.config.update(CODE_SENDER_EMAIL="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SECURITY=security,
                      SMTP_FROM="Switchboard <no-reply@example.org>", SMTP_USERNAME="", SMTP_TIMEOUT=5)


def test_smtp_delivers_the_message(app, smtp_server, caplog):
    inbox, port = smtp_server
    smtp_settings(app, port, "none")
    with caplog.at_level(logging.DEBUG):
        send(MESSAGE)
    (envelope,) = inbox.envelopes
    assert envelope.rcpt_tos == ["dave@example.org"] and envelope.mail_from == "no-reply@example.org"
    assert b"Subject: Your code" in envelope.content and b"123456" in envelope.content
    ours = [record.getMessage() for record in caplog.records if not record.name.startswith("mail.log")]
    assert not [line for line in ours if "123456" in line]  # only the console sender logs one (mail.log: the server)


def test_an_email_carries_the_headers_a_message_must_have(app, smtp_server):
    """RFC 5322 requires Date (and From); a submission server need not add a missing one, and spam
    filters count its absence (SpamAssassin MISSING_DATE)."""
    from datetime import UTC, datetime
    from email import message_from_bytes, policy

    inbox, port = smtp_server
    smtp_settings(app, port, "none")
    send(MESSAGE)
    (envelope,) = inbox.envelopes
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert message["From"] == "Switchboard <no-reply@example.org>" and message["To"] == "dave@example.org"
    assert message["Message-ID"].endswith("@example.org>") and message["Message-ID"].count(">") == 1
    assert message["Date"] is not None, envelope.content
    assert abs((datetime.now(UTC) - message["Date"].datetime).total_seconds()) < 60


def test_starttls_never_falls_back_to_plain_text(app, smtp_server):
    inbox, port = smtp_server  # a server that offers no STARTTLS
    smtp_settings(app, port, "starttls")
    with pytest.raises(smtplib.SMTPNotSupportedError):
        send(MESSAGE)
    assert inbox.envelopes == []


def test_the_console_sender_logs_the_whole_message(app, caplog):
    with caplog.at_level(logging.INFO, logger="notify.console"):
        send(MESSAGE)
    assert caplog.records[-1].getMessage() == "email to dave@example.org (confirm): Your Switchboard code is 123456."


@pytest.fixture
def gateway(app):
    with sms_webhook() as server:
        app.config.update(CODE_SENDER_SMS="webhook", SMS_WEBHOOK_URL=f"http://127.0.0.1:{server.server_port}/sms",
                          SMS_WEBHOOK_SECRET="s3cret", SMS_WEBHOOK_TIMEOUT=5)
        yield server


def test_the_webhook_posts_json_signed_with_the_secret(gateway):
    send(OutgoingMessage("phone", "+491701234567", "", "Your Switchboard code is 654321.", "reset"))
    ((headers, body),) = gateway.requests
    assert headers["X-Switchboard-Signature"] == webhook_signature("s3cret", headers, body)
    assert headers["Content-Type"] == "application/json"
    sent = json.loads(body)
    assert (sent["to"], sent["text"], sent["purpose"]) == ("+491701234567", "Your Switchboard code is 654321.", "reset")


def test_a_webhook_refusal_raises_without_the_text(gateway):
    gateway.status = 500
    with pytest.raises(RuntimeError) as raised:
        send(OutgoingMessage("phone", "+491701234567", "", "Your Switchboard code is 654321.", "reset"))
    assert str(raised.value) == "the SMS webhook answered 500"  # the job's failure record holds no code
