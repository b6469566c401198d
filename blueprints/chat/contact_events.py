"""Socket.IO: contacts, contact requests, blocks, privacy settings, presence and read receipts.
Each answers its sender through the ack; what it changes reaches the people concerned as
server events (contact:request, contact:added, block:added, presence, ...: docs/protocol.md)."""
from __future__ import annotations

from actions.access import get_active_user
from actions.blocks import block_user, list_blocks, unblock_user
from actions.contacts import (
    accept_contact_request,
    decline_contact_request,
    list_contacts,
    pending_requests,
    remove_contact,
    send_contact_request,
)
from actions.presence import presence_views
from actions.privacy import get_privacy, update_privacy
from actions.receipts import read_receipts
from actions.validation import check_id
from blueprints.chat.socket_support import socket_event
from payloads import (
    block_payload,
    contact_request_payload,
    contacts_payload,
    pending_requests_payload,
    presence_payload,
    privacy_payload,
    receipt_payload,
)


@socket_event("contacts:list")
def on_contacts_list(user, payload):
    """Client asks for its contacts (with presence), pending requests both ways and blocks."""
    contacts = list_contacts(user)
    views = presence_views(user, [contact.contact for contact in contacts])
    return {"contacts": contacts_payload(contacts, views), **pending_requests_payload(pending_requests(user)),
            "blocks": [block_payload(block) for block in list_blocks(user)]}


@socket_event("contact:request")
def on_contact_request(user, payload):
    """Client asks {username | email | phone} to be a contact; both people get contact:request
    (or, if the other had asked first, contact:request_closed and contact:added)."""
    outcome = send_contact_request(user, payload)
    return {"state": outcome.state, "request": contact_request_payload(outcome.request)}


@socket_event("contact:accept")
def on_contact_accept(user, payload):
    """The recipient accepts {request_id}; both get contact:request_closed and contact:added."""
    request = accept_contact_request(user, payload.get("request_id"))
    return {"state": "accepted", "request": contact_request_payload(request)}


@socket_event("contact:decline")
def on_contact_decline(user, payload):
    """The recipient declines {request_id}, or its requester withdraws it; both get contact:request_closed."""
    outcome = decline_contact_request(user, payload.get("request_id"))
    return {"state": outcome.state, "request_id": outcome.request.id}


@socket_event("contact:remove")
def on_contact_remove(user, payload):
    """Either person ends a contact {user_id}; both get contact:removed."""
    user_id = check_id(payload.get("user_id"), "user_id")
    remove_contact(user, user_id)
    return {"user_id": user_id}


@socket_event("block:add")
def on_block_add(user, payload):
    """Block {user_id}; the caller's tabs get block:added (the blocked person is not told)."""
    return {"block": block_payload(block_user(user, payload.get("user_id")).block)}


@socket_event("block:remove")
def on_block_remove(user, payload):
    """Unblock {user_id}; the caller's tabs get block:removed."""
    user_id = check_id(payload.get("user_id"), "user_id")
    unblock_user(user, user_id)
    return {"user_id": user_id}


@socket_event("privacy:get")
def on_privacy_get(user, payload):
    """The caller's privacy settings."""
    return {"privacy": privacy_payload(get_privacy(user))}


@socket_event("privacy:update")
def on_privacy_update(user, payload):
    """Change {direct_chats?, last_seen?, read_receipts?}; the caller's tabs get privacy:updated."""
    return {"privacy": privacy_payload(update_privacy(user, payload))}


@socket_event("presence:get")
def on_presence_get(user, payload):
    """Someone's {user_id} online state and last seen, as far as the caller may see them."""
    subject = get_active_user(check_id(payload.get("user_id"), "user_id"))
    return {"user_id": subject.id, "presence": presence_payload(presence_views(user, [subject])[subject.id])}


@socket_event("conversation:receipts")
def on_conversation_receipts(user, payload):
    """How far the other members of {conversation_id} have received, and read where their privacy lets
    the caller see it."""
    receipts = read_receipts(user, check_id(payload.get("conversation_id"), "conversation_id"))
    return {"receipts": [receipt_payload(receipt) for receipt in receipts]}
