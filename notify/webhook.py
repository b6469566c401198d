"""Text messages through an SMS provider's HTTP gateway, or a small relay in front of one.

POST SMS_WEBHOOK_URL with a JSON body {"id", "to", "text", "purpose", "sent_at"} and two headers:
`X-Switchboard-Timestamp` (Unix seconds) and `X-Switchboard-Signature`:
`sha256=` + hex HMAC-SHA256(SMS_WEBHOOK_SECRET, timestamp + "." + the body's bytes). The receiver
recomputes it, compares in constant time and refuses old timestamps (replays); docs/configuration.md
shows how. Any 2xx answer is success; anything else raises, and the job is retried.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return "sha256=" + digest


def send(message, config: Mapping) -> None:
    body = json.dumps({
        "id": str(uuid.uuid4()), "to": message.to, "text": message.text, "purpose": message.purpose,
        "sent_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(config["SMS_WEBHOOK_URL"], data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "Switchboard",
        "X-Switchboard-Timestamp": timestamp,
        "X-Switchboard-Signature": signature(config["SMS_WEBHOOK_SECRET"], timestamp, body),
    })
    try:
        with urllib.request.urlopen(request, timeout=config["SMS_WEBHOOK_TIMEOUT"]) as response:
            response.read(1024)
    except urllib.error.HTTPError as error:
        # The URL and the status only: the body we sent holds the code.
        raise RuntimeError(f"the SMS webhook answered {error.code}") from None
