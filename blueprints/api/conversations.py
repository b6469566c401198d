"""Conversations and their messages: list, history, resync, send, read, edit, delete."""
from flask import jsonify, request

from actions.conversations import conversation_summary, list_conversations, mark_read
from actions.direct import open_direct_conversation
from actions.groups import list_members
from actions.messages import changes_since, delete_message, edit_message, message_history, send_message
from actions.receipts import mark_delivered
from actions.validation import check_fields, check_id, check_int, check_limit
from blueprints.api import api_user, bp, json_body
from events.admission import sends_a_message
from payloads import member_payload, message_payload, summary_payload


@bp.get("/conversations")
def conversations():
    """The user's conversations, most recent first, with last message and unread count."""
    return jsonify({"ok": True, "conversations": [summary_payload(s) for s in list_conversations(api_user())]})


@bp.get("/conversations/<id:conversation_id>")
def conversation(conversation_id: int):
    """One conversation of the user."""
    return jsonify({"ok": True, "conversation": summary_payload(conversation_summary(api_user(), conversation_id))})


@bp.get("/conversations/<id:conversation_id>/members")
def members(conversation_id: int):
    """Members of a conversation the user belongs to."""
    return jsonify({"ok": True, "members": [member_payload(m) for m in list_members(api_user(), conversation_id)]})


@bp.get("/conversations/<id:conversation_id>/messages")
def history(conversation_id: int):
    """Keyset paging: ?before=<seq> (newest first, the default) or ?after=<seq> (oldest first); limit <= 100."""
    args = request.args
    page = message_history(
        api_user(), conversation_id,
        before=check_int(args.get("before"), "before", minimum=1, required=False),
        after=check_int(args.get("after"), "after", minimum=0, required=False),
        limit=check_limit(args.get("limit")),
    )
    return jsonify({"ok": True, "messages": [message_payload(m) for m in page.messages], "has_more": page.has_more})


@bp.get("/conversations/<id:conversation_id>/changes")
def changes(conversation_id: int):
    """Resync: every message created or changed after revision ?since=, oldest change first."""
    result = changes_since(api_user(), conversation_id,
                           check_int(request.args.get("since"), "since", minimum=0),
                           limit=check_limit(request.args.get("limit"), default=100, maximum=500))
    return jsonify({"ok": True, "revision": result.revision, "has_more": result.has_more,
                    "messages": [message_payload(m) for m in result.messages]})


@bp.post("/conversations/<id:conversation_id>/messages")
@sends_a_message
def send(conversation_id: int):
    """Send {body, client_id, attachment_id?, reply_to?}: 201 with the stored message, 200 with the first on a retry."""
    payload = check_fields(json_body(), ("body", "client_id", "attachment_id", "reply_to"), "message")
    sent = send_message(api_user(), conversation_id, payload.get("body"), client_id=payload.get("client_id"),
                        attachment_id=check_id(payload.get("attachment_id"), "attachment_id", required=False),
                        reply_to=payload.get("reply_to"))
    return jsonify({"ok": True, "message": message_payload(sent.message), "duplicate": not sent.created}), (
        201 if sent.created else 200)


@bp.post("/conversations/<id:conversation_id>/read")
def read(conversation_id: int):
    """Mark messages up to {seq} as read."""
    seq = check_fields(json_body(), ("seq",), "read").get("seq")
    membership = mark_read(api_user(), conversation_id, check_int(seq, "seq", minimum=0))
    return jsonify({"ok": True, "last_read_seq": membership.last_read_seq})


@bp.post("/conversations/<id:conversation_id>/delivered")
def delivered(conversation_id: int):
    """Ack messages up to {seq} as received by one of the caller's clients (delivered ticks)."""
    seq = check_fields(json_body(), ("seq",), "delivered").get("seq")
    membership = mark_delivered(api_user(), conversation_id, check_int(seq, "seq", minimum=0))
    return jsonify({"ok": True, "last_delivered_seq": membership.last_delivered_seq})


@bp.patch("/messages/<id:message_id>")
def edit(message_id: int):
    """The author edits {body}."""
    body = check_fields(json_body(), ("body",), "edit").get("body")
    return jsonify({"ok": True, "message": message_payload(edit_message(api_user(), message_id, body))})


@bp.delete("/messages/<id:message_id>")
def delete(message_id: int):
    """The author deletes a message."""
    return jsonify({"ok": True, "message": message_payload(delete_message(api_user(), message_id))})


@bp.post("/direct")
def open_direct():
    """Open {user_id}'s direct chat: 201 when created, 200 when it existed."""
    user_id = check_fields(json_body(), ("user_id",), "direct chat").get("user_id")
    opened = open_direct_conversation(api_user(), check_id(user_id, "user_id"))
    summary = conversation_summary(api_user(), opened.conversation.id)
    return jsonify({"ok": True, "conversation": summary_payload(summary)}), 201 if opened.created else 200
