"""The back office's API for programs (server to server), under /api/admin, with an operator's
bearer token: broadcast to everyone or to a group's members, send a notice to one user.

The role is checked in one place, this blueprint's before_request, so no route can forget it.
"""
from flask import Blueprint, jsonify

from actions.access import access_operator
from actions.broadcasts import Broadcast, broadcast_to_everyone, broadcast_to_group, send_notice
from blueprints.api import api_user, bp, json_body
from extensions import csrf
from payloads import message_payload

admin_bp = Blueprint("admin_api", __name__)
# As for the parent API: bearer requests carry no ambient credentials; the parent's
# before_request checks the CSRF token of cookie-authenticated writes.
csrf.exempt(admin_bp)


@admin_bp.before_request
def operators_only():
    """Runs after the API's authentication: only operators go on."""
    access_operator(api_user())


def _sent(broadcast: Broadcast):
    return jsonify({"ok": True, "recipients": broadcast.recipients,
                    "messages": [message_payload(message) for message in broadcast.messages]}), 201


@admin_bp.post("/broadcasts")
def broadcast_everyone():
    """Send {body} to every active account, in each one's Switchboard notices conversation:
    accepted now, posted by a background job."""
    broadcast = broadcast_to_everyone(api_user(), json_body().get("body"))
    return jsonify({"ok": True, "recipients": broadcast.recipients, "queued": True}), 202


@admin_bp.post("/users/<id:user_id>/notices")
def notice_user(user_id: int):
    """Send {body} to one user, in their Switchboard notices conversation."""
    return _sent(send_notice(api_user(), user_id, json_body().get("body")))


@admin_bp.post("/groups/<id:conversation_id>/broadcasts")
def broadcast_group(conversation_id: int):
    """Post {body} as a service message in a group."""
    return _sent(broadcast_to_group(api_user(), conversation_id, json_body().get("body")))


bp.register_blueprint(admin_bp, url_prefix="/admin")
