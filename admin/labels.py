"""Column headings of the back office's panels in the reader's language: the names a panel does
not label itself (Flask-Admin would show the field's name, prettified, in English). Lazy strings:
Flask-Admin keeps the headings from start-up and renders them in each request's language."""
from flask_babel import lazy_gettext as _l

COLUMN_NAMES = {
    "action": _l("Action"), "active": _l("Active"), "actor_id": _l("Operator id"), "actor_name": _l("Operator"),
    "address": _l("Address"), "after": _l("After"), "archived_at": _l("Archived"), "arguments": _l("Arguments"),
    "attempts": _l("Failed runs"), "before": _l("Before"), "body": _l("Text"), "confirmed_at": _l("Confirmed"),
    "content_type": _l("Type"), "conversation_id": _l("Conversation"), "created_at": _l("Created"),
    "created_by": _l("Issued by"), "deactivated_at": _l("Deactivated"), "deleted_at": _l("Deleted"),
    "description": _l("Description"), "detail": _l("Detail"), "display_name": _l("Display name"),
    "email": _l("Email"), "error": _l("Error"), "expires_at": _l("Expires"), "filename": _l("File name"),
    "first_failed_at": _l("First failed"), "hidden_at": _l("Hidden"), "id": _l("Id"), "job_name": _l("Job"),
    "kind": _l("Kind"), "last_failed_at": _l("Last failed"), "last_message_at": _l("Last activity"),
    "last_seen_at": _l("Last seen"), "members": _l("Members"), "message": _l("Message"),
    "must_change_password": _l("Must change password"), "name": _l("Name"), "note": _l("Note"),
    "phone": _l("Phone"), "reason": _l("Reason"), "reporter": _l("Reporter"), "resolution": _l("Resolution"),
    "resolved_at": _l("Resolved"), "resolved_by": _l("Resolved by"), "revoked_at": _l("Revoked"), "role": _l("Role"),
    "sender": _l("Sender"), "size": _l("Size"), "status": _l("Status"), "suspended_until": _l("Suspended until"),
    "target_id": _l("Id"),
    "target_type": _l("Target"), "task_id": _l("Task id"), "text": _l("Details"), "traceback": _l("Traceback"),
    "uploader": _l("Owner"), "used": _l("Used"), "user_agent": _l("Browser"), "user_id": _l("User id"),
    "username": _l("Username"), "uses_left": _l("Uses left"), "visibility": _l("Visibility"),
}
