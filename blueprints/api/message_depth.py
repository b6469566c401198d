"""A message's surroundings: the history around it (a reply's quote, a search result), and its reactions."""
from flask import jsonify, request

from actions.messages import message_history_around
from actions.reactions import add_reaction, remove_reaction
from actions.validation import check_fields, check_limit
from blueprints.api import api_user, bp, json_body
from payloads import history_window_payload, message_payload


@bp.get("/messages/<id:message_id>/around")
def history_around(message_id: int):
    """Up to ?limit= (<= 100, default 50) messages around one, oldest first: about half before it."""
    window = message_history_around(api_user(), message_id, limit=check_limit(request.args.get("limit")))
    return jsonify({"ok": True, **history_window_payload(window)})


@bp.post("/messages/<id:message_id>/reactions")
def react(message_id: int):
    """Add the caller's {emoji}; the message (with its new revision) is answered and told to the members."""
    emoji = check_fields(json_body(), ("emoji",), "reaction").get("emoji")
    return jsonify({"ok": True, "message": message_payload(add_reaction(api_user(), message_id, emoji))})


@bp.delete("/messages/<id:message_id>/reactions")
def unreact(message_id: int):
    """Take back the caller's ?emoji=."""
    return jsonify({"ok": True, "message": message_payload(remove_reaction(api_user(), message_id,
                                                                           request.args.get("emoji")))})
