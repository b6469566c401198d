"""Mentions: `@username` of a member in a message's text becomes a reference by user id; `@all`
in a group mentions every member (its owners and admins only: actions.access.check_may_mention_all).

Stored as rows (models.MessageMention) so that each member's unread mentions are counted with their
unread messages (actions.conversations); the page highlights them and notifies even when muted.
"""
from __future__ import annotations

import re

from actions.access import check_may_mention_all
from extensions import db
from models import Membership, Message, MessageMention, User

# `@name` at the start or after a character that cannot be in a name (so e-mail addresses are not
# mentions); a name as actions.validation.USERNAME_PATTERN allows it, case ignored. A trailing dot
# ends a sentence rather than the name.
MENTION = re.compile(r"(?<![\w.@-])@([A-Za-z0-9_][A-Za-z0-9_.-]{1,31})")
EVERYONE = "all"


def mentioned_names(body: str) -> set[str]:
    """The lowercased names after `@` in a text (`all` included)."""
    return {match.group(1).rstrip(".-").lower() for match in MENTION.finditer(body)}


def record_mentions(message: Message, membership: Membership) -> None:
    """Store who `message` (just stored, by `membership`'s user) mentions: members only, never its
    author. `@all` in a group needs its admin (refused otherwise, with nothing stored)."""
    names = mentioned_names(message.body)
    if not names:
        return
    members = db.select(Membership.user_id).where(Membership.conversation_id == message.conversation_id)
    if EVERYONE in names and membership.conversation.is_group:
        check_may_mention_all(membership)
        message.mentions_all = True
        user_ids = set(db.session.execute(members).scalars())
    else:
        user_ids = set(db.session.execute(
            members.join(User, User.id == Membership.user_id).where(User.username.in_(names))).scalars())
    user_ids.discard(message.sender_id)
    message.mentions.extend(MessageMention(message_id=message.id, user_id=user_id) for user_id in sorted(user_ids))
    db.session.flush()
