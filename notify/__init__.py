"""Short messages to people's email addresses and phones: confirmation and reset codes, the
notice that someone tried to register with an address that already has an account, and the notice
to an address another replaced.

One sender per channel, chosen by setting: CODE_SENDER_EMAIL (`console` or `smtp`) and
CODE_SENDER_SMS (`console` or `webhook`, an HTTP call to an SMS provider's gateway). Senders are
called by the job that sends codes (actions.codes), never in a request: a slow mail server
delays nobody, and a failure is retried by the job queue. A sender raises on failure.

The console sender writes the whole message (code included) to the log at INFO: for
development only. No other sender logs a message's text.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from flask import current_app


@dataclass(frozen=True)
class OutgoingMessage:
    channel: Literal["email", "phone"]
    to: str  # a normalized email address, or a phone number in E.164
    subject: str  # emails only
    text: str
    purpose: str  # "confirm", "reset", "notice" or "changed": for an SMS gateway's own records


def send(message: OutgoingMessage) -> None:
    """Hand the message to the sender its channel is configured with."""
    from notify import console, smtp, webhook

    config = current_app.config
    if message.channel == "email":
        sender = smtp.send if config["CODE_SENDER_EMAIL"] == "smtp" else console.send
    else:
        sender = webhook.send if config["CODE_SENDER_SMS"] == "webhook" else console.send
    sender(message, config)
