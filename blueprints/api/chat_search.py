"""Search in the chat over REST: the caller's conversations only (actions.chat_search)."""
from flask import jsonify, request

from actions.chat_search import search_my_messages
from blueprints.api import api_user, bp
from payloads import search_page_payload


@bp.get("/search/messages")
def search_messages():
    """?q= (every term, parts of words), optional conversation_id, since, until, before_id, limit."""
    page = search_my_messages(api_user(), request.args.get("q"), conversation_id=request.args.get("conversation_id"),
                              since=request.args.get("since"), until=request.args.get("until"),
                              before_id=request.args.get("before_id"), limit=request.args.get("limit"))
    return jsonify({"ok": True, **search_page_payload(page)})
