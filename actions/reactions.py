"""Emoji reactions: members add and remove theirs on a message of their conversation.

A reaction is a change of the message: it takes the conversation's next revision
(actions.messages.record_message_change_unchecked), so members hear it live as `message:updated`
and a client that missed it finds it through resync, with the message's whole reaction list.
"""
from __future__ import annotations

from actions.access import access_conversation_for_posting, hold_message
from actions.errors import Conflict, InvalidInput
from actions.messages import record_message_change_unchecked
from actions.rate_limits import limit_message_send
from actions.validation import check_emoji
from events import atomic
from extensions import db
from models import Message, MessageReaction, User

MAX_DISTINCT_PER_MESSAGE = 50  # different emoji on one message (Slack allows 50 too)


@atomic()
def add_reaction(user: User, message_id: int, emoji: object) -> Message:
    """The user reacts with `emoji`; reacting again with the same one changes nothing."""
    emoji = check_emoji(emoji)
    message = _reactable(user, message_id)
    if any(r.user_id == user.id and r.emoji == emoji for r in message.reactions):
        return message
    if emoji not in {r.emoji for r in message.reactions} and (
            len({r.emoji for r in message.reactions}) >= MAX_DISTINCT_PER_MESSAGE):
        raise Conflict("too_many_reactions", f"A message takes at most {MAX_DISTINCT_PER_MESSAGE} different emoji.")
    limit_message_send(user.id)  # a change told to every member, as a message is: the same send rate
    message.reactions.append(MessageReaction(message_id=message.id, user_id=user.id, emoji=emoji))
    db.session.flush()
    return record_message_change_unchecked(message)


@atomic()
def remove_reaction(user: User, message_id: int, emoji: object) -> Message:
    """The user takes their `emoji` back; one they had not put changes nothing."""
    emoji = check_emoji(emoji)
    message = _reactable(user, message_id)
    mine = [r for r in message.reactions if r.user_id == user.id and r.emoji == emoji]
    if not mine:
        return message
    limit_message_send(user.id)
    message.reactions.remove(mine[0])
    db.session.flush()
    return record_message_change_unchecked(message)


def _reactable(user: User, message_id: int) -> Message:
    # Those who may post react: not in an archived group, nor at someone who blocked them. The message
    # is held (hold_message): its reactions and whether it was removed stay as read until COMMIT.
    message = hold_message(message_id)
    access_conversation_for_posting(user, message.conversation_id)
    if message.is_removed:
        raise Conflict("message_removed", "This message was removed.")
    if message.kind == "system":
        raise InvalidInput("not_reactable", "Service messages take no reactions.")
    return message
