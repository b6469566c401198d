"""Socket.IO: a member reports a message to the operators."""
from __future__ import annotations

from actions.reports import report_message
from actions.validation import check_id
from blueprints.chat.socket_support import socket_event
from payloads import report_payload


@socket_event("message:report")
def on_message_report(user, payload):
    """Client sends {message_id, reason: spam|abuse|other, text?}; the ack carries the report (nobody else is told)."""
    report = report_message(user, check_id(payload.get("message_id"), "message_id"), payload.get("reason"),
                            payload.get("text"))
    return {"report": report_payload(report)}
