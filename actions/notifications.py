"""Notification settings of a member: muting a conversation silences everything but mentions
(sounds, browser notifications and Web Push; the unread count still counts)."""
from __future__ import annotations

from actions.access import access_conversation
from actions.validation import check_bool
from events import atomic, queue_event
from events.facts import ConversationMuted
from models import Membership, User


@atomic()
def set_muted(user: User, conversation_id: int, muted: object) -> Membership:
    """Mute or unmute one's conversation; the user's other tabs and devices are told."""
    muted = check_bool(muted, "muted")
    membership = access_conversation(user, conversation_id)
    if membership.muted != muted:
        membership.muted = muted
        queue_event(ConversationMuted(user_id=user.id, conversation_id=conversation_id, muted=muted))
    return membership
