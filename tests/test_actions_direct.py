"""actions.direct: exactly one conversation per pair of users."""
import pytest

from actions.direct import direct_key, open_direct_conversation
from actions.errors import InvalidInput, NotFound
from actions.messages import send_message
from extensions import db
from models import Conversation, Membership
from payloads import conversation_payload, user_payload
from tests.helpers import database_rows, events, names


def test_direct_key_is_the_same_in_both_orders():
    assert direct_key(7, 3) == direct_key(3, 7) == "3:7"


def test_first_open_creates_the_conversation_and_announces_it_to_both(alice, bob, sockets):
    opened = open_direct_conversation(alice, bob.id)
    conversation = opened.conversation
    assert opened.created is True
    assert (conversation.kind, conversation.visibility, conversation.name, conversation.direct_key,
            conversation.created_by_id) == ("direct", "private", None, f"{alice.id}:{bob.id}", alice.id)
    memberships = db.session.execute(
        db.select(Membership).where(Membership.conversation_id == conversation.id).order_by(Membership.user_id)
    ).scalars().all()
    assert [(m.user_id, m.role) for m in memberships] == [(alice.id, "member"), (bob.id, "member")]
    alice_membership, bob_membership = memberships
    # Each side sees the chat titled with the other person's name, and that person as its peer.
    assert events(sockets["alice"]) == [("conversation:added", {"conversation": {**conversation_payload(
        conversation, alice_membership, title="Bob"), "peer": user_payload(bob)}})]
    assert events(sockets["bob"]) == [("conversation:added", {"conversation": {**conversation_payload(
        conversation, bob_membership, title="Alice"), "peer": user_payload(alice)}})]
    assert events(sockets["carol"]) == []
    # Both users' live sockets joined the conversation's room.
    send_message(alice, conversation.id, "hi")
    assert names(events(sockets["bob"])) == ["message:new"]
    assert names(events(sockets["alice"])) == ["message:new", "conversation:read"]  # sending reads, in every tab
    assert events(sockets["carol"]) == []


def test_opening_again_in_either_order_returns_the_same_conversation_silently(alice, bob, sockets):
    first = open_direct_conversation(alice, bob.id)
    for socket in sockets.values():
        events(socket)
    again = open_direct_conversation(alice, bob.id)
    reverse = open_direct_conversation(bob, alice.id)
    assert (again.created, reverse.created) == (False, False)
    assert again.conversation.id == reverse.conversation.id == first.conversation.id
    assert db.session.execute(db.select(db.func.count(Conversation.id))).scalar_one() == 1
    assert all(events(socket) == [] for socket in sockets.values())


def test_each_pair_has_its_own_conversation(alice, bob, carol):
    with_bob = open_direct_conversation(alice, bob.id).conversation
    with_carol = open_direct_conversation(alice, carol.id).conversation
    bob_carol = open_direct_conversation(carol, bob.id).conversation
    assert len({with_bob.id, with_carol.id, bob_carol.id}) == 3


def test_cannot_open_with_yourself(alice):
    before = database_rows()
    with pytest.raises(InvalidInput) as raised:
        open_direct_conversation(alice, alice.id)
    assert raised.value.as_dict() == {"code": "invalid_user_id", "message": "A direct chat needs another user."}
    assert database_rows() == before


def test_cannot_open_with_an_unknown_or_deactivated_user(alice, bob, sockets):
    bob.active = False
    db.session.commit()
    before = database_rows()
    for other_id in (bob.id, 9999):
        with pytest.raises(NotFound) as raised:
            open_direct_conversation(alice, other_id)
        assert (raised.value.code, raised.value.status) == ("user_not_found", 404)
    assert database_rows() == before
    assert events(sockets["alice"]) == []
