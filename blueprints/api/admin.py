"""The back office's API for programs (server to server), under /api/admin, with an operator's
bearer token: broadcast to everyone or to a group's members, send a notice to one user, and the
panels' operations on accounts, messages, groups and reports, through the same actions (so the same
audit entries). What stays panel-only is listed in docs/protocol.md.

The role is checked in one place, this blueprint's before_request, so no route can forget it.
"""
from flask import Blueprint, jsonify, request

from actions import group_admin, moderation, reports, user_admin
from actions.access import access_operator
from actions.broadcasts import (
    Broadcast,
    broadcast_to_everyone,
    broadcast_to_group,
    check_idempotency_key,
    send_notice,
)
from actions.validation import check_fields, check_id
from blueprints.api import api_user, bp, json_body
from extensions import csrf
from models import User
from payloads import (
    account_payload,
    conversation_payload,
    login_session_payload,
    member_payload,
    message_payload,
    settled_report_payload,
)

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


def _idempotency_key() -> str | None:
    """The `Idempotency-Key` header: the same key again (a retry) is 409 broadcast_already_sent, nothing sent."""
    return check_idempotency_key(request.headers.get("Idempotency-Key"))


def _fields(*taken: str) -> dict:
    """The request's body, of only the fields `taken` (another, a typo: 400 invalid_field), as for
    PATCH /api/me: a program's mistake is told, not ignored."""
    return check_fields(json_body(), taken, "request")


@admin_bp.post("/broadcasts")
def broadcast_everyone():
    """Send {body} to every active account, in each one's Switchboard notices conversation:
    accepted now, posted by a background job."""
    broadcast = broadcast_to_everyone(api_user(), _fields("body").get("body"), _idempotency_key())
    return jsonify({"ok": True, "recipients": broadcast.recipients, "queued": True}), 202


@admin_bp.post("/users/<id:user_id>/notices")
def notice_user(user_id: int):
    """Send {body} to one user, in their Switchboard notices conversation."""
    return _sent(send_notice(api_user(), user_id, _fields("body").get("body"), _idempotency_key()))


@admin_bp.post("/groups/<id:conversation_id>/broadcasts")
def broadcast_group(conversation_id: int):
    """Post {body} as a service message in a group."""
    return _sent(broadcast_to_group(api_user(), conversation_id, _fields("body").get("body"), _idempotency_key()))


# Accounts: the Users panel's operations.

def _account(user: User):
    return jsonify({"ok": True, "user": account_payload(user)})


@admin_bp.get("/users/<id:user_id>")
def show_account(user_id: int):
    """One account, active or not, with its live login sessions."""
    sessions = user_admin.list_user_sessions(api_user(), user_id)
    return jsonify({"ok": True, "user": account_payload(user_admin.get_account(user_id)),
                    "sessions": [login_session_payload(login_session) for login_session in sessions]})


@admin_bp.post("/users/<id:user_id>/deactivate")
def deactivate(user_id: int):
    """Deactivate for good (a ban): sessions, tokens and sockets end at once."""
    return _account(user_admin.deactivate_user(api_user(), user_id))


@admin_bp.post("/users/<id:user_id>/reactivate")
def reactivate(user_id: int):
    """Lift a deactivation or a suspension."""
    return _account(user_admin.reactivate_user(api_user(), user_id))


@admin_bp.post("/users/<id:user_id>/suspend")
def suspend(user_id: int):
    """Suspend until {until} for {reason}, which the user is told."""
    body = _fields("until", "reason")
    return _account(user_admin.suspend_user(api_user(), user_id, body.get("until"), body.get("reason")))


@admin_bp.post("/users/<id:user_id>/unsuspend")
def unsuspend(user_id: int):
    """End a suspension before its time."""
    return _account(user_admin.unsuspend_user(api_user(), user_id))


@admin_bp.post("/users/<id:user_id>/password")
def reset_password(user_id: int):
    """Set {temporary_password}: the user must change it at next login; sessions and tokens end."""
    temporary = _fields("temporary_password").get("temporary_password")
    return _account(user_admin.reset_password(api_user(), user_id, temporary))


@admin_bp.post("/users/<id:user_id>/role")
def set_role(user_id: int):
    """Make the account an operator ({role: "admin"}) or a regular user ({role: "user"})."""
    return _account(user_admin.set_user_role(api_user(), user_id, _fields("role").get("role")))


@admin_bp.delete("/users/<id:user_id>/sessions")
def end_sessions(user_id: int):
    """Log the account out everywhere (its tokens stay)."""
    return jsonify({"ok": True, "ended": user_admin.end_user_sessions(api_user(), user_id)})


@admin_bp.delete("/users/<id:user_id>/sessions/<session_id>")
def end_session(user_id: int, session_id: str):
    """Log one session of the account out."""
    return jsonify({"ok": True, "session_id": user_admin.end_user_session(api_user(), user_id, session_id).id})


# Messages, groups and reports: the Messages, Groups and Reports panels' operations.

@admin_bp.post("/messages/<id:message_id>/hide")
def hide(message_id: int):
    """Hide a message from everyone (its place stays, its content goes)."""
    return jsonify({"ok": True, "message": message_payload(moderation.hide_message(api_user(), message_id))})


@admin_bp.post("/messages/<id:message_id>/unhide")
def unhide(message_id: int):
    """Show a hidden message again."""
    return jsonify({"ok": True, "message": message_payload(moderation.unhide_message(api_user(), message_id))})


@admin_bp.delete("/messages/<id:message_id>")
def delete_message(message_id: int):
    """Delete a message for everyone, for good."""
    message = moderation.delete_message_for_everyone(api_user(), message_id)
    return jsonify({"ok": True, "message": message_payload(message)})


@admin_bp.post("/groups/<id:conversation_id>/archive")
def archive(conversation_id: int):
    """Archive a group: nobody can post; it stays readable."""
    return _group(group_admin.set_group_archived(api_user(), conversation_id, True))


@admin_bp.post("/groups/<id:conversation_id>/unarchive")
def unarchive(conversation_id: int):
    """Open an archived group again."""
    return _group(group_admin.set_group_archived(api_user(), conversation_id, False))


@admin_bp.delete("/groups/<id:conversation_id>")
def delete_group(conversation_id: int):
    """Delete a group: archived at once, then a job removes its messages, files and members."""
    group_admin.delete_group(api_user(), conversation_id)
    return jsonify({"ok": True}), 202


@admin_bp.post("/groups/<id:conversation_id>/members")
def add_member(conversation_id: int):
    """Add {user_id} to a group as a member."""
    user_id = check_id(_fields("user_id").get("user_id"), "user_id")
    membership = group_admin.add_group_member(api_user(), conversation_id, user_id)
    return jsonify({"ok": True, "member": member_payload(membership)}), 201


@admin_bp.patch("/groups/<id:conversation_id>/members/<id:user_id>")
def set_member_role(conversation_id: int, user_id: int):
    """Make a member {role}: owner, admin or member."""
    role = _fields("role").get("role")
    membership = group_admin.set_group_member_role(api_user(), conversation_id, user_id, role)
    return jsonify({"ok": True, "member": member_payload(membership)})


@admin_bp.delete("/groups/<id:conversation_id>/members/<id:user_id>")
def remove_member(conversation_id: int, user_id: int):
    """Remove anyone from a group."""
    group_admin.remove_group_member(api_user(), conversation_id, user_id)
    return jsonify({"ok": True})


def _group(group):
    return jsonify({"ok": True, "conversation": conversation_payload(group)})


@admin_bp.post("/reports/<id:report_id>/resolve")
def resolve(report_id: int):
    """Settle a report with {resolution} (and {hours} for sender_messages_hidden)."""
    body = _fields("resolution", "hours")
    report = reports.resolve_report(api_user(), report_id, body.get("resolution"), body.get("hours"))
    return jsonify({"ok": True, "report": settled_report_payload(report)})


bp.register_blueprint(admin_bp, url_prefix="/admin")
