"""Contacts, contact requests, blocks, privacy settings, presence and read receipts
(docs/protocol.md "Contacts, blocking and privacy")."""
from flask import jsonify

from actions.access import get_active_user
from actions.blocks import block_user, list_blocks, unblock_user
from actions.contacts import (
    ADDRESS_FIELDS,
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
from actions.validation import check_fields
from blueprints.api import api_user, bp, json_body
from payloads import (
    block_payload,
    contact_request_payload,
    contacts_payload,
    pending_requests_payload,
    presence_payload,
    privacy_payload,
    receipt_payload,
)


@bp.get("/contacts")
def contacts():
    """The caller's contacts with their presence, by name."""
    user = api_user()
    contacts = list_contacts(user)
    views = presence_views(user, [contact.contact for contact in contacts])
    return jsonify({"ok": True, "contacts": contacts_payload(contacts, views)})


@bp.get("/contacts/requests")
def contact_requests():
    """Requests waiting for the caller's answer (incoming) and the caller's own (outgoing)."""
    return jsonify({"ok": True, **pending_requests_payload(pending_requests(api_user()))})


@bp.post("/contacts/requests")
def send_request():
    """Ask {username | email | phone} to be a contact: 201 pending, or 200 accepted if they had asked first."""
    outcome = send_contact_request(api_user(), check_fields(json_body(), ADDRESS_FIELDS, "contact request"))
    return jsonify({"ok": True, "state": outcome.state,
                    "request": contact_request_payload(outcome.request)}), 201 if outcome.state == "pending" else 200


@bp.post("/contacts/requests/<id:request_id>/accept")
def accept_request(request_id: int):
    """The recipient accepts: both are contacts."""
    request = accept_contact_request(api_user(), request_id)
    return jsonify({"ok": True, "state": "accepted", "request": contact_request_payload(request)})


@bp.post("/contacts/requests/<id:request_id>/decline")
def decline_request(request_id: int):
    """The recipient declines, or the requester withdraws their request."""
    outcome = decline_contact_request(api_user(), request_id)
    return jsonify({"ok": True, "state": outcome.state, "request_id": request_id})


@bp.delete("/contacts/<id:user_id>")
def delete_contact(user_id: int):
    """End a contact, for both people."""
    remove_contact(api_user(), user_id)
    return jsonify({"ok": True, "user_id": user_id})


@bp.get("/blocks")
def blocks():
    """The people the caller blocked."""
    return jsonify({"ok": True, "blocks": [block_payload(block) for block in list_blocks(api_user())]})


@bp.post("/blocks")
def create_block():
    """Block {user_id}: 201 (again: 200, nothing changes)."""
    outcome = block_user(api_user(), check_fields(json_body(), ("user_id",), "block").get("user_id"))
    return jsonify({"ok": True, "block": block_payload(outcome.block)}), 201 if outcome.created else 200


@bp.delete("/blocks/<id:user_id>")
def delete_block(user_id: int):
    """Lift one's block of someone."""
    unblock_user(api_user(), user_id)
    return jsonify({"ok": True, "user_id": user_id})


@bp.get("/me/privacy")
def privacy():
    """The caller's privacy settings."""
    return jsonify({"ok": True, "privacy": privacy_payload(get_privacy(api_user()))})


@bp.put("/me/privacy")
def set_privacy():
    """Change {direct_chats?, last_seen?, read_receipts?}."""
    return jsonify({"ok": True, "privacy": privacy_payload(update_privacy(api_user(), json_body()))})


@bp.get("/users/<id:user_id>/presence")
def user_presence(user_id: int):
    """Someone's online state and last seen, as far as their privacy settings and blocks let the caller see."""
    user = api_user()
    subject = get_active_user(user_id)
    return jsonify({"ok": True, "user_id": subject.id, "presence": presence_payload(presence_views(user, [subject])[
        subject.id])})


@bp.get("/conversations/<id:conversation_id>/receipts")
def receipts(conversation_id: int):
    """How far the other members have received, and read where their privacy settings let the caller see it."""
    return jsonify({"ok": True, "receipts": [receipt_payload(receipt)
                                             for receipt in read_receipts(api_user(), conversation_id)]})
