"""Socket.IO: presence (who is online, last seen) and typing. Client -> server events answer through
their ack; the server's presence:batch and typing frames are in docs/protocol.md."""
from __future__ import annotations

from actions.presence import conversation_presence, users_presence
from actions.typing import report_typing
from actions.validation import check_bool, check_id, check_user_ids
from blueprints.chat.socket_support import socket_event
from payloads import conversation_presence_payload, presence_list_payload


@socket_event("presence:query")
def on_presence_query(user, payload):
    """Client asks for {user_ids} (1–200): each one's presence as the caller may see it."""
    views = users_presence(user, check_user_ids(payload.get("user_ids")))
    return {"presence": presence_list_payload(views)}


@socket_event("conversation:presence")
def on_conversation_presence(user, payload):
    """A member asks for {conversation_id}: how many members are online, and each one's presence."""
    found = conversation_presence(user, check_id(payload.get("conversation_id"), "conversation_id"))
    return conversation_presence_payload(found)


@socket_event("typing")
def on_typing(user, payload):
    """A member types {conversation_id, typing?} (typing defaults to true; false: stopped); the other
    members get `typing`. Ack `sent` false: within 2 s of the last one, told nobody."""
    typing = check_bool(payload.get("typing", True), "typing")
    return {"sent": report_typing(user, check_id(payload.get("conversation_id"), "conversation_id"), typing)}
