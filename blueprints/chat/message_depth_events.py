"""Socket.IO events around one message: the history around it, and reactions (docs/protocol.md)."""
from __future__ import annotations

from actions.messages import message_history_around
from actions.reactions import add_reaction, remove_reaction
from actions.validation import check_id, check_limit
from blueprints.chat.socket_support import socket_event
from payloads import history_window_payload, message_payload


@socket_event("messages:around")
def on_history_around(user, payload):
    """Client asks {message_id, limit?} -> the messages around it, oldest first (to jump to a quote)."""
    window = message_history_around(user, check_id(payload.get("message_id"), "message_id"),
                                    limit=check_limit(payload.get("limit")))
    return history_window_payload(window)


@socket_event("reaction:add")
def on_reaction_add(user, payload):
    """Member reacts {message_id, emoji}; members get message:updated with the reactions."""
    return {"message": message_payload(add_reaction(user, check_id(payload.get("message_id"), "message_id"),
                                                    payload.get("emoji")))}


@socket_event("reaction:remove")
def on_reaction_remove(user, payload):
    """Member takes back {message_id, emoji}; members get message:updated."""
    return {"message": message_payload(remove_reaction(user, check_id(payload.get("message_id"), "message_id"),
                                                       payload.get("emoji")))}
