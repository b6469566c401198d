"""Typing indicators: told to the conversation's members at once (but across a block), never stored."""
from __future__ import annotations

from actions.access import access_conversation_for_posting, blocked_members
from events import atomic, queue_event
from events.facts import TypingChanged
from models import User
from realtime.typing import typing_throttle


@atomic()
def report_typing(user: User, conversation_id: int, typing: bool) -> bool:
    """The user is typing in (or stopped typing in) a conversation they may post in. "Typing" is
    told at most once every 2 s per user and conversation, whatever the client sends, and "stopped"
    only while members show them typing (a "typing" told in the last 5 s, not stopped since): False
    when this one told nobody. Stopping does not end the 2 s (realtime.typing). Members with a block
    between them and the user, either way, are not told: a block hides presence both ways."""
    access_conversation_for_posting(user, conversation_id)
    throttle = typing_throttle()
    told = throttle.allow(user.id, conversation_id) if typing else throttle.stopped(user.id, conversation_id)
    if not told:
        return False
    not_to = tuple(sorted(blocked_members(user.id, conversation_id)))
    queue_event(TypingChanged(conversation_id, user.id, typing, not_to))
    return True


def typing_ended_by_message(user: User, conversation_id: int) -> None:
    """The user's message was stored (actions.messages.send_message, whichever transport sent it: a
    socket, REST, the gateway): members stop showing them typing when it arrives (docs/protocol.md),
    and their next "typing" in that conversation is told at once, not up to 2 s later."""
    typing_throttle().reset(user.id, conversation_id)
