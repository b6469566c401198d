"""Socket.IO notification settings (docs/protocol.md "Notifications")."""
from __future__ import annotations

from actions.notifications import set_muted
from actions.validation import check_id
from blueprints.chat.socket_support import socket_event


@socket_event("conversation:mute")
def on_mute(user, payload):
    """Member asks {conversation_id, muted}; their other sockets get conversation:muted."""
    conversation_id = check_id(payload.get("conversation_id"), "conversation_id")
    membership = set_muted(user, conversation_id, payload.get("muted"))
    return {"conversation_id": conversation_id, "muted": membership.muted}
