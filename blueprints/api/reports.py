"""Reporting a message to the operators."""
from flask import jsonify

from actions.reports import report_message
from actions.validation import check_fields
from blueprints.api import api_user, bp, json_body
from payloads import report_payload


@bp.post("/messages/<id:message_id>/report")
def report(message_id: int):
    """Report {reason: spam|abuse|other, text?} about a message the user can read: 201 with the report."""
    payload = check_fields(json_body(), ("reason", "text"), "report")
    created = report_message(api_user(), message_id, payload.get("reason"), payload.get("text"))
    return jsonify({"ok": True, "report": report_payload(created)}), 201
