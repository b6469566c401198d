"""Socket.IO search in the chat (docs/protocol.md "Search"): the caller's conversations only."""
from __future__ import annotations

from actions.chat_search import search_my_messages
from blueprints.chat.socket_support import socket_event
from payloads import search_page_payload


@socket_event("messages:search")
def on_search(user, payload):
    """Client asks {query, conversation_id?, since?, until?, before_id?, limit?} -> matches, newest first."""
    page = search_my_messages(user, payload.get("query"), conversation_id=payload.get("conversation_id"),
                              since=payload.get("since"), until=payload.get("until"),
                              before_id=payload.get("before_id"), limit=payload.get("limit"))
    return search_page_payload(page)
