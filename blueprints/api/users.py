"""Finding people to chat with."""
from flask import jsonify, request

from actions.accounts import search_users
from actions.validation import check_limit
from blueprints.api import api_user, bp
from payloads import user_payload


@bp.get("/users")
def users():
    """Search active users by username or display name: ?q=&limit=."""
    found = search_users(request.args.get("q", ""), limit=check_limit(request.args.get("limit"), default=20),
                         exclude_user_id=api_user().id)
    return jsonify({"ok": True, "users": [user_payload(user) for user in found]})
