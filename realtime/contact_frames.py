"""How the facts of contacts, blocks, privacy and presence look on Socket.IO (docs/protocol.md):
each goes to the `user:<id>` rooms of the people concerned, never to a conversation."""
from __future__ import annotations

from actions.presence import HIDDEN, PresenceView
from events import facts as f
from extensions import db
from models import Block, Contact, ContactRequest, PrivacySettings, User
from models.time import isoformat
from payloads import block_payload, contact_request_payload, presence_entry_payload, privacy_payload, user_payload
from realtime import user_room

FACTS = (f.ContactRequestChanged, f.ContactAdded, f.ContactRemoved, f.BlockChanged, f.PrivacyChanged,
         f.PresenceChanged)


def contact_frames(fact: f.Fact) -> list[dict]:
    from realtime.socketio_adapter import emit_frame  # the adapter imports this module

    if isinstance(fact, f.ContactRequestChanged):
        rooms = [user_room(fact.requester_id), user_room(fact.recipient_id)]
        if fact.state == "pending":
            request = db.session.get(ContactRequest, fact.request_id)
            return [emit_frame("contact:request", {"request": contact_request_payload(request)}, room)
                    for room in rooms]
        return [emit_frame("contact:request_closed", {"request_id": fact.request_id, "state": fact.state}, room)
                for room in rooms]
    if isinstance(fact, f.ContactAdded):
        contact = db.session.get(Contact, (fact.user_id, fact.contact_id))
        # The new contact's presence follows in a `presence` frame once the page asks (GET /api/contacts).
        return [emit_frame("contact:added", {"contact": {**user_payload(contact.contact),
                                                         "since": isoformat(contact.created_at)}},
                           user_room(fact.user_id))]
    if isinstance(fact, f.ContactRemoved):
        return [emit_frame("contact:removed", {"user_id": fact.contact_id}, user_room(fact.user_id))]
    if isinstance(fact, f.BlockChanged):
        if fact.blocked:
            data = {"block": block_payload(db.session.get(Block, (fact.user_id, fact.blocked_id)))}
            return [emit_frame("block:added", data, user_room(fact.user_id))]
        return [emit_frame("block:removed", {"user_id": fact.blocked_id}, user_room(fact.user_id))]
    if isinstance(fact, f.PrivacyChanged):
        return [emit_frame("privacy:updated", {"privacy": privacy_payload(db.session.get(PrivacySettings,
                                                                                         fact.user_id))},
                           user_room(fact.user_id))]
    if isinstance(fact, f.PresenceChanged):
        user = db.session.get(User, fact.user_id)
        shown = presence_entry_payload(fact.user_id, PresenceView(visible=True, online=fact.online,
                                                                  last_seen_at=user.last_seen_at if user else None))
        hidden = presence_entry_payload(fact.user_id, HIDDEN)
        return ([emit_frame("presence", shown, user_room(viewer)) for viewer in fact.visible_to]
                + [emit_frame("presence", hidden, user_room(viewer)) for viewer in fact.hidden_from])
    raise TypeError(f"not a contact fact: {type(fact).__name__}")
