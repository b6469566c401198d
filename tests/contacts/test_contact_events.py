"""Exactly the facts each contacts, blocks and privacy action releases (events/facts.py), and
nothing when it is refused; and the Socket.IO frames they become, through the Flask-SocketIO test
client (the live tests in test_contacts_live.py do the same over real websockets)."""
from __future__ import annotations

from actions.blocks import block_user, unblock_user
from actions.contacts import accept_contact_request, decline_contact_request, remove_contact, send_contact_request
from actions.privacy import update_privacy
from events.facts import BlockChanged, ContactAdded, ContactRemoved, ContactRequestChanged, PrivacyChanged
from tests.helpers import events, refused, wait_for_events


def test_each_action_releases_exactly_its_facts(alice, bob, captured_events):
    request = send_contact_request(alice, {"username": "bob"}).request
    assert captured_events == [ContactRequestChanged(request.id, alice.id, bob.id, "pending")]
    captured_events.clear()
    accept_contact_request(bob, request.id)
    assert captured_events == [ContactRequestChanged(request.id, alice.id, bob.id, "accepted"),
                               ContactAdded(alice.id, bob.id), ContactAdded(bob.id, alice.id)]
    captured_events.clear()
    remove_contact(alice, bob.id)
    assert captured_events == [ContactRemoved(alice.id, bob.id), ContactRemoved(bob.id, alice.id)]
    captured_events.clear()
    pending = send_contact_request(bob, {"username": "alice"}).request
    captured_events.clear()
    block_user(alice, bob.id)  # the pending request ends, declined by the one who blocks
    assert captured_events == [ContactRequestChanged(pending.id, bob.id, alice.id, "declined"),
                               BlockChanged(alice.id, bob.id, True)]
    captured_events.clear()
    block_user(alice, bob.id)  # again: nothing changes, nobody is told
    assert captured_events == []
    unblock_user(alice, bob.id)
    assert captured_events == [BlockChanged(alice.id, bob.id, False)]
    captured_events.clear()
    update_privacy(alice, {"read_receipts": "nobody"})  # no contacts: nobody else to tell
    assert captured_events == [PrivacyChanged(alice.id)]


def test_a_refused_action_releases_nothing(alice, bob, captured_events):
    block_user(bob, alice.id)
    captured_events.clear()
    assert refused(send_contact_request, alice, {"username": "bob"}) == (403, "cannot_request_contact")
    assert refused(remove_contact, alice, bob.id) == (404, "contact_not_found")
    assert refused(decline_contact_request, alice, 12345) == (404, "request_not_found")
    assert captured_events == []


def test_socket_events_answer_and_tell_both_people(sockets, alice, bob):
    ack = sockets["alice"].emit("contact:request", {"username": "bob"}, callback=True)
    assert ack["ok"] and ack["state"] == "pending"
    received = dict(wait_for_events(sockets["bob"], 1))
    assert received["contact:request"]["request"]["requester"]["id"] == alice.id
    events(sockets["alice"])
    answer = sockets["bob"].emit("contact:accept", {"request_id": ack["request"]["id"]}, callback=True)
    assert answer == {"ok": True, "state": "accepted", "request": ack["request"]}
    names = [name for name, _ in wait_for_events(sockets["alice"], 2)]
    assert names == ["contact:request_closed", "contact:added"]  # in this order: docs/protocol.md
    refused = sockets["carol"].emit("block:add", {"user_id": "nobody"}, callback=True)
    assert refused["ok"] is False and refused["error"]["code"] == "invalid_user_id"
    listed = sockets["alice"].emit("contacts:list", {}, callback=True)
    assert [contact["id"] for contact in listed["contacts"]] == [bob.id] and listed["blocks"] == []


def test_a_closed_requests_id_is_never_given_again(alice, bob, carol):
    # Declined, a request is deleted; the next one must not get its id (migration 0021 on SQLite): a
    # client keeps requests by id, and contact:request_closed of one would close the other.
    first = send_contact_request(alice, {"username": "bob"}).request.id
    decline_contact_request(bob, first)
    second = send_contact_request(alice, {"username": "carol"}).request.id
    assert second > first


def test_accepting_one_of_two_crossed_requests_closes_both(app, alice, bob, captured_events):
    """Two people asking each other at the same moment each find no request of the other's and both
    store theirs (seen on PostgreSQL: both answered "pending"). Accepting either makes them contacts
    and closes the other too, as accepted: it stayed in the lists, an offer from a contact."""
    from extensions import db
    from models import ContactRequest

    mine = send_contact_request(alice, {"username": "bob"}).request
    theirs = ContactRequest(requester_id=bob.id, recipient_id=alice.id)  # as the race leaves them
    db.session.add(theirs)
    db.session.commit()
    captured_events.clear()
    accept_contact_request(bob, mine.id)
    assert captured_events[:2] == [ContactRequestChanged(mine.id, alice.id, bob.id, "accepted"),
                                   ContactRequestChanged(theirs.id, bob.id, alice.id, "accepted")]
    assert db.session.get(ContactRequest, theirs.id) is None
