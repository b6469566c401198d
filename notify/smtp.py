"""Email through an SMTP server (smtplib): SMTP_HOST, SMTP_PORT, SMTP_SECURITY (starttls: plain
connection upgraded with STARTTLS, the usual port 587; ssl: TLS from the start, port 465; none:
no encryption, for a relay on the same machine), SMTP_USERNAME and SMTP_PASSWORD when the server
wants a login, SMTP_FROM. Certificates are verified (the system's trust store)."""
from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid


def send(message, config: Mapping) -> None:
    email = EmailMessage()
    email["From"] = config["SMTP_FROM"]
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = formatdate(usegmt=True)  # required (RFC 5322); submission servers need not add it
    email["Message-ID"] = make_msgid(domain=config["SMTP_FROM"].rpartition("@")[2] or None)
    email.set_content(message.text)
    host, port, timeout = config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_TIMEOUT"]
    if config["SMTP_SECURITY"] == "ssl":
        connection = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        connection = smtplib.SMTP(host, port, timeout=timeout)
    with connection:
        if config["SMTP_SECURITY"] == "starttls":
            connection.starttls(context=ssl.create_default_context())
        if config["SMTP_USERNAME"]:
            connection.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
        connection.send_message(email)
