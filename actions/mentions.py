"""Mentions: `@username` of a member in a message's text becomes a reference by user id; `@all`
in a group mentions every member (its owners and admins only: actions.access.check_may_mention_all).
Text the page shows as code (`inline code`, fenced blocks: actions.code_spans) or as a link (actions.links:
`https://example.com/?u=@bob`) mentions nobody, as in Slack, Mattermost and Rocket.Chat.

Stored as rows (models.MessageMention) so that each member's unread mentions are counted with their
unread messages (actions.conversations); the page highlights them and notifies even when muted.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Collection

from sqlalchemy import or_

from actions.access import check_may_mention_all
from actions.code_spans import text_outside_code
from actions.links import text_outside_links
from actions.validation import MENTION_ALL
from extensions import db
from models import Conversation, Membership, Message, MessageMention, User

# `@name` at the start or after a character that cannot be in a name (so e-mail addresses are not
# mentions), nor after `/` (a link's path: mastodon.social/@bob is a profile page, shown as link text);
# a name as actions.validation.USERNAME_PATTERN allows it, case ignored. A trailing "." or
# "-" ends a sentence, or is the end of the name (usernames may end so): _written_names reads both.
# The page's copy of this rule, to change with it: static/js/chat/message-depth.js MENTION (the composer's
# suggestions follow it: mention-complete.js PARTIAL); tests/browser/test_mentions_in_code.py compares them.
MENTION = re.compile(r"(?<![\w.@/-])@([A-Za-z0-9_][A-Za-z0-9_.-]{1,31})")
EVERYONE = MENTION_ALL  # a word no new account may take as its name (actions.validation.RESERVED_USERNAMES)


def written_names(body: str) -> list[str]:
    """Each `@name` of a text, as written (without the "@"), in order: in the runs the page shows as text,
    neither code nor a link, each read alone, as the page reads it ("`x`@bob" names bob)."""
    return [match.group(1) for run in text_outside_code(body) for part in text_outside_links(run)
            for match in MENTION.finditer(part)]


@functools.lru_cache(maxsize=64)
def _written_names(body: str) -> tuple[tuple[str, ...], ...]:
    """Each written name, lowercased, as the names it may be, longest first: `@dana.` is dana. or dana (the dot
    ending the sentence); `@eve-.` is eve-. , eve- or eve (each trailing "." or "-" in turn). Remembered for the
    last texts read: a send reads its text three times (hold_mentionable, then record_mentions twice)."""
    return tuple(_shortened(name.lower()) for name in written_names(body))


def _shortened(name: str) -> tuple[str, ...]:
    names = [name]
    while names[-1][-1] in ".-":
        names.append(names[-1][:-1])
    return tuple(names)


def mentioned_names(body: str) -> set[str]:
    """The lowercased names after `@` in a text, each as every name it may be (`all` included). A text without
    "@" (most messages) names nobody whatever its code and links: answered without reading them (issue 15), and
    not remembered by _written_names, where it would push out the texts that name someone. The send path asks
    here first (hold_mentionable, record_mentions)."""
    if "@" not in body:
        return set()
    return {name for names in _written_names(body) for name in names}


def hold_mentionable(conversation: Conversation, body: str | None, edited: Message | None = None) -> frozenset[int]:
    """The accounts a text about to be stored in `conversation` may mention (`@name`: the accounts of those
    names; `@all` in a group: its members), and those the message `edited` mentions now (its mentions'
    rows are about to be replaced), their rows held FOR KEY SHARE (PostgreSQL) until COMMIT, before the
    conversation is: a mention's row refers to its account (its foreign key's KEY SHARE), and the purge
    (actions.registration.purge_unconfirmed_accounts) locks the accounts it deletes, then their
    conversations, then deletes their mentions. Taken after the conversation (a send: a mention's insert),
    or with the mentions taken away first (an edit), each waited for the other and PostgreSQL cancelled
    one. An account deleted meanwhile is not among them. Pass them to record_mentions."""
    names = mentioned_names(body or "")
    accounts = [_named(conversation.id, conversation.is_group, names)] if names else []
    if edited is not None and edited.mentions:
        accounts.append(User.id.in_(db.select(MessageMention.user_id).where(MessageMention.message_id == edited.id)))
    if not accounts:
        return frozenset()
    held = frozenset(db.session.execute(db.select(User.id).where(or_(*accounts)).order_by(User.id)
                                        .with_for_update(read=True, key_share=True)).scalars())
    if edited is not None and edited.mentions:
        db.session.expire(edited, ["mentions"])  # as they are now: a purge waited for may have taken some away
    return held


def record_mentions(message: Message, membership: Membership, held: Collection[int] | None = None) -> None:
    """Store who `message` (just stored, by `membership`'s user) mentions: members only, findable ones
    (User.findable: a deactivated or suspended member keeps the membership but is not notified, as in
    Slack; `@all` leaves them out too), never its author; with `held` (hold_mentionable's, taken before the
    conversation), those accounts only. `@all` in a group needs its admin (refused otherwise, with nothing
    stored)."""
    names = mentioned_names(message.body)
    if not names:
        return
    is_group = membership.conversation.is_group
    if EVERYONE in names and is_group:
        check_may_mention_all(membership)
        message.mentions_all = True
    members = dict(db.session.execute(db.select(User.username, User.id).where(
        _named(message.conversation_id, is_group, names), User.id.in_(_members(message.conversation_id)),
        User.findable)).all())
    if message.mentions_all:
        user_ids = set(members.values())
    else:  # each `@name` names the longest name it may be that is a member's (`@dana.`: dana., else dana)
        user_ids = {members[found] for names in _written_names(message.body)
                    if (found := next((name for name in names if name in members), None)) is not None}
    user_ids.discard(message.sender_id)
    if held is not None:
        user_ids &= set(held)  # a member who joined since hold_mentionable: not held, not mentioned
    message.mentions.extend(MessageMention(message_id=message.id, user_id=user_id) for user_id in sorted(user_ids))
    db.session.flush()


def _named(conversation_id: int, is_group: bool, names: set[str]):
    """Whom `names` (mentioned_names') name, as a condition on User: with `@all` in a group, its members;
    else the accounts of those names (who of them are members, record_mentions asks), `@all` being plain
    text in a direct chat, even to someone whose username is "all"."""
    if EVERYONE in names and is_group:
        return User.id.in_(_members(conversation_id))
    return User.username.in_(names - {EVERYONE})


def _members(conversation_id: int):
    return db.select(Membership.user_id).where(Membership.conversation_id == conversation_id)
