"""Membership notes: the system messages a group's changes leave in its conversation.

"Alice added Bob", "Bob left", "Alice renamed the group to …" are messages of kind `system`, so
they take their place in the order, in resync and in the history like any other. Each stores
what happened as JSON (`Message.system_event`, sent as the message's `system`, docs/protocol.md):
the page words it in the reader's language from that; `body` holds an English sentence, written
once, for the clients that do not read it (the gateway, scripts). Decides nothing: the actions that
make the changes authorize and call `note_group_change_unchecked`.
"""
from __future__ import annotations

import json

from actions.messages import post_system_message
from actions.receipts import read_own_message_unchecked
from extensions import db
from models import Conversation, Membership, Message, User

ROLE_WORDS = {"owner": "an owner", "admin": "an admin", "member": "a member"}
NOTE_EVENTS = ("member_joined", "member_added", "member_left", "member_removed", "role_changed",
               "ownership_transferred", "group_renamed", "description_changed")


def note_group_change_unchecked(conversation_id: int, event: str, actor: User | None = None,
                                user: User | None = None, *, by: User | None = None, **details: str) -> Message:
    """Post the note of one change (`event`, one of NOTE_EVENTS) by `actor` (None: the service,
    i.e. an operator or ownership passing on) about `user`; `details`: `role`, `name`. `by`: the operator
    who made it, whom the note does not name: a member, they have read it all the same (Slack: what you
    do yourself never makes a channel unread)."""
    assert event in NOTE_EVENTS, event
    fields = {"event": event, "actor_id": actor.id if actor else None, "actor_name": _name(actor),
              "user_id": user.id if user else None, "user_name": _name(user), **details}
    message = post_system_message(conversation_id, _sentence(fields))
    message.system_event = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    if (actor or by) is not None:
        _read_by_actor(conversation_id, (actor or by).id, message.seq)
    return message


def note_group_edit_unchecked(group: Conversation, name_before: str | None, description_before: str,
                              actor: User | None = None, by: User | None = None) -> None:
    """The notes of a group's rename and new description, whichever changed (`actor` None: an operator,
    `by`)."""
    if group.name != name_before:
        note_group_change_unchecked(group.id, "group_renamed", actor, name=group.name, by=by)
    if group.description != description_before:
        note_group_change_unchecked(group.id, "description_changed", actor, by=by)


def _read_by_actor(conversation_id: int, actor_id: int, seq: int) -> None:
    """What you did yourself is not news to you: your read position passes its note, as with
    your own messages (actions.receipts.read_own_message_unchecked)."""
    membership = db.session.execute(db.select(Membership).where(
        Membership.conversation_id == conversation_id, Membership.user_id == actor_id)).scalar_one_or_none()
    if membership is not None:
        read_own_message_unchecked(membership, seq)


def _name(user: User | None) -> str | None:
    return (user.display_name or user.username) if user is not None else None


def _sentence(fields: dict) -> str:
    """The English note for clients that do not word `system` themselves."""
    actor = fields["actor_name"] or "An operator"
    user = fields["user_name"]
    event = fields["event"]
    if event == "member_joined":
        return f"{user} joined the group"
    if event == "member_added":
        return f"{actor} added {user}"
    if event == "member_left":
        return f"{user} left the group"
    if event == "member_removed":
        return f"{actor} removed {user}"
    if event == "role_changed":
        role = ROLE_WORDS[fields["role"]]
        return f"{user} is now {role}" if fields["actor_name"] is None and fields["role"] == "owner" \
            else f"{actor} made {user} {role}"
    if event == "ownership_transferred":
        return f"{actor} made {user} the group's owner"
    if event == "group_renamed":
        return f"{actor} renamed the group to “{fields['name']}”"
    return f"{actor} changed the group's description"
