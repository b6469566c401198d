"""REST: presence of several people, and of a conversation's members (with its online count)."""
from __future__ import annotations

from flask import jsonify, request

from actions.presence import conversation_presence, users_presence
from actions.validation import check_user_ids
from blueprints.api import api_user, bp
from payloads import conversation_presence_payload, presence_list_payload


@bp.get("/presence")
def presence_of_users():
    """?user_ids=1,2,3 (1–200): each one's online state and last seen, as the caller may see them."""
    raw = request.args.get("user_ids", "")
    ids = [part.strip() for part in raw.split(",")] if raw else []
    views = users_presence(api_user(), check_user_ids(ids))
    return jsonify({"ok": True, "presence": presence_list_payload(views)})


@bp.get("/conversations/<id:conversation_id>/presence")
def presence_of_conversation(conversation_id: int):
    """A conversation's online count and its members' presence (members only)."""
    found = conversation_presence(api_user(), conversation_id)
    return jsonify({"ok": True, **conversation_presence_payload(found)})
