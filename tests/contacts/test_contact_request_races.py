"""Two people answering each other's contact requests at the same moment, on SQLite and on PostgreSQL: the
crossed requests two people leave when each asks the other at once (accepting one closes both, 442c6d2),
or one answering a request while the other withdraws it. Each runs in its own thread, app context and
database connection (tests.helpers.run_at_once)."""
from __future__ import annotations

import threading

import pytest

from actions.blocks import block_user
from actions.contacts import accept_contact_request, decline_contact_request, send_contact_request
from actions.errors import NotFound
from extensions import db
from models import Block, Contact, ContactRequest, User
from tests.database_apps import ENGINES, engine_app
from tests.factories import make_user
from tests.helpers import run_at_once

WAIT_SECONDS = 2  # below SQLite's busy_timeout of 5 s


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        yield app


def test_both_accepting_the_others_crossed_request_at_once_makes_them_contacts(app):
    """Alice accepts Bob's request while Bob accepts Alice's: each took its own request away, then the
    other (the crossed one, which the other had just taken away): on PostgreSQL each waited for the
    other, and one was cancelled ("deadlock detected": a 500). Now the second waits for the first and
    finds its request answered: 404 request_not_found, as after any answer; they are contacts."""
    alice, bob = make_user("alice"), make_user("bob")
    alices = ContactRequest(requester_id=alice.id, recipient_id=bob.id)
    bobs = ContactRequest(requester_id=bob.id, recipient_id=alice.id)
    db.session.add_all([alices, bobs])
    db.session.commit()
    alice_id, bob_id, alices_id, bobs_id = alice.id, bob.id, alices.id, bobs.id
    first_closed = {"alice": threading.Event(), "bob": threading.Event()}

    def watch(_connection, _cursor, statement, *_):
        name = threading.current_thread().name
        if statement.startswith("DELETE FROM contact_requests") and not first_closed[name].is_set():
            first_closed[name].set()  # its own request taken away: wait until the other's is too
            first_closed["bob" if name == "alice" else "alice"].wait(WAIT_SECONDS)

    outcomes = run_at_once(app, {
        "alice": lambda: accept_contact_request(db.session.get(User, alice_id), bobs_id).id,
        "bob": lambda: accept_contact_request(db.session.get(User, bob_id), alices_id).id,
    }, watch)

    answered = [name for name, outcome in outcomes.items() if isinstance(outcome, int)]
    assert len(answered) == 1, outcomes
    other = "bob" if answered == ["alice"] else "alice"
    assert isinstance(outcomes[other], NotFound) and outcomes[other].code == "request_not_found", outcomes
    db.session.expire_all()
    assert db.session.execute(db.select(ContactRequest)).first() is None
    assert db.session.get(Contact, (alice_id, bob_id)) and db.session.get(Contact, (bob_id, alice_id))


@pytest.mark.parametrize("withdrawn", ["first", "crossed"])
def test_accepting_a_request_its_requester_withdraws_meanwhile(app, withdrawn):
    """Bob accepts Alice's request (and with it his own crossed one) while she withdraws hers (`first`)
    or he his own (`crossed`): the accept had read the request before the withdrawal took it away, and
    made them contacts all the same (its DELETE matching no row: only a warning), though Alice had taken
    hers back. Now the accept holds the two requests and reads them again: Alice's withdrawn, it is 404
    request_not_found and Bob's own still waits (`first`); his own withdrawn, hers is accepted (`crossed`)."""
    alice, bob = make_user("alice"), make_user("bob")
    alices = ContactRequest(requester_id=alice.id, recipient_id=bob.id)
    bobs = ContactRequest(requester_id=bob.id, recipient_id=alice.id)
    db.session.add_all([alices, bobs])
    db.session.commit()
    alice_id, bob_id, alices_id, bobs_id = alice.id, bob.id, alices.id, bobs.id
    withdrawer_id, withdrawn_id = (alice_id, alices_id) if withdrawn == "first" else (bob_id, bobs_id)
    read, withdrew = threading.Event(), threading.Event()

    def watch(_connection, _cursor, statement, *_):
        if threading.current_thread().name == "accept" and "FROM contact_requests" in statement \
                and not read.is_set():
            read.set()  # it has read the request: the withdrawal comes now
            withdrew.wait(WAIT_SECONDS)

    def withdraw():
        assert read.wait(WAIT_SECONDS)
        try:
            return decline_contact_request(db.session.get(User, withdrawer_id), withdrawn_id).state
        finally:
            withdrew.set()

    outcomes = run_at_once(app, {
        "accept": lambda: accept_contact_request(db.session.get(User, bob_id), alices_id).id,
        "withdraw": withdraw,
    }, watch)

    assert outcomes["withdraw"] == "cancelled", outcomes
    db.session.expire_all()
    left = db.session.execute(db.select(ContactRequest.id)).scalars().all()
    if withdrawn == "first":
        assert isinstance(outcomes["accept"], NotFound) and outcomes["accept"].code == "request_not_found", outcomes
        assert left == [bobs_id]  # Bob's own still waits for Alice's answer
        assert db.session.get(Contact, (alice_id, bob_id)) is None
    else:
        assert outcomes["accept"] == alices_id, outcomes
        assert left == []
        assert db.session.get(Contact, (alice_id, bob_id)) and db.session.get(Contact, (bob_id, alice_id))


def test_two_people_asking_each_other_at_once_become_contacts(app):
    """Alice asks Bob while Bob asks Alice: each looked for the other's request before either was stored,
    so both were answered `pending` and each had to accept the other's (Telegram and WhatsApp make them
    contacts at once). Now a request holds the pair (actions.access.lock_pair) before it looks: the
    second waits for the first, finds its request and accepts it (`accepted`); they are contacts."""
    alice, bob = make_user("alice"), make_user("bob")
    db.session.commit()
    alice_id, bob_id = alice.id, bob.id
    stored = {"alice": threading.Event(), "bob": threading.Event()}

    def watch(_connection, _cursor, statement, *_):
        name = threading.current_thread().name
        if statement.startswith("INSERT INTO contact_requests"):
            stored[name].set()  # its request written: wait (bounded) until the other's is too
            stored["bob" if name == "alice" else "alice"].wait(WAIT_SECONDS)

    outcomes = run_at_once(app, {
        "alice": lambda: send_contact_request(db.session.get(User, alice_id), {"username": "bob"}).state,
        "bob": lambda: send_contact_request(db.session.get(User, bob_id), {"username": "alice"}).state,
    }, watch)

    assert sorted(outcomes.values()) == ["accepted", "pending"], outcomes
    db.session.expire_all()
    assert db.session.execute(db.select(ContactRequest)).first() is None
    assert db.session.get(Contact, (alice_id, bob_id)) and db.session.get(Contact, (bob_id, alice_id))


@pytest.mark.parametrize("answer", ["accept", "request"])
def test_a_block_at_the_moment_of_an_accept_or_a_request_leaves_no_contact_and_no_request(app, answer):
    """Bob blocks Alice while she accepts his request (`accept`), or while she asks him (`request`). The
    block ended the contact and the requests it could see: the accept's contacts, or her request, not
    committed yet, were left in place, so a block stood between two contacts (or Bob had a request from
    the person he blocked). Now the block holds the pair as the accept and the request do: it waits, then
    ends what they made."""
    alice, bob = make_user("alice"), make_user("bob")
    db.session.flush()
    bobs = ContactRequest(requester_id=bob.id, recipient_id=alice.id)
    if answer == "accept":
        db.session.add(bobs)
    db.session.commit()
    alice_id, bob_id, bobs_id = alice.id, bob.id, bobs.id
    made, looked = threading.Event(), threading.Event()
    written = "INSERT INTO contacts" if answer == "accept" else "INSERT INTO contact_requests"

    def watch(_connection, _cursor, statement, *_):
        name = threading.current_thread().name
        if name == "alice" and statement.startswith(written) and not made.is_set():
            made.set()  # written, not committed: the block looks now (bounded: it may wait for this unit)
            looked.wait(WAIT_SECONDS)
        elif name == "bob" and statement.startswith("SELECT contact_requests"):
            looked.set()  # the block has looked for the requests between them

    def block():
        assert made.wait(WAIT_SECONDS)
        return block_user(db.session.get(User, bob_id), alice_id).created

    alices = (lambda: accept_contact_request(db.session.get(User, alice_id), bobs_id).id) if answer == "accept" \
        else (lambda: send_contact_request(db.session.get(User, alice_id), {"username": "bob"}).state)
    outcomes = run_at_once(app, {"alice": alices, "bob": block}, watch)

    assert outcomes["bob"] is True, outcomes
    assert not isinstance(outcomes["alice"], Exception), outcomes
    db.session.expire_all()
    assert db.session.get(Block, (bob_id, alice_id)) is not None
    assert db.session.execute(db.select(Contact)).first() is None
    assert db.session.execute(db.select(ContactRequest)).first() is None
