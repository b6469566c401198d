"""Changes of one message made at once by two requests, on SQLite and on PostgreSQL: its author deletes
it on one device while editing it on another, or while someone reacts to it. Each change reads the
message under its row lock (actions.access.hold_message), so the second one decides on what the first
left: an edit or a reaction after the deletion is refused `message_removed` and changes nothing. Before,
both read the message side by side; the edit, committed second, wrote its text into the removed message
and its `message:updated`, at the newer revision, told every member the message was there again with
that text.

Each request runs in its own thread, app context and database connection. The first read of a message
by each waits at a barrier for the other's: reads made side by side (the race) both pass it, and the
deletion then goes first (the other request waits a moment before writing). A read made under the lock
of the other request waits for its COMMIT instead: the barrier times out for the first one, which goes
on and commits."""
from __future__ import annotations

import pytest

from actions.errors import Conflict
from actions.messages import delete_message, edit_message, send_message
from actions.moderation import hide_message, hide_recent_messages
from actions.reactions import add_reaction
from extensions import db
from models import AuditEntry, Message, User
from tests import helpers
from tests.database_apps import ENGINES, engine_app
from tests.factories import make_group, make_user


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        yield app


def deletion_first(app, delete, other) -> dict[str, object]:
    """tests.helpers.deletion_first: each one's (revision, removed, body), or its error."""
    return helpers.deletion_first(app, delete, other, lambda message: (message.revision, message.is_removed,
                                                                      message.body))


def as_user(user_id: int) -> User:
    return db.session.get(User, user_id)


def stored(message_id: int) -> Message:
    db.session.expire_all()
    return db.session.get(Message, message_id)


def test_an_edit_from_another_device_while_the_message_is_deleted_does_not_show_it_again(app):
    alice, bob = make_user("alice"), make_user("bob")
    group = make_group(alice, members=[bob])
    message = send_message(alice, group.id, "what I said first").message
    message_id, alice_id = message.id, alice.id

    outcomes = deletion_first(app, lambda: delete_message(as_user(alice_id), message_id),
                              lambda: edit_message(as_user(alice_id), message_id, "what I say now"))

    deleted_revision, removed, _ = outcomes["delete"]
    assert removed
    after = stored(message_id)
    assert after.is_removed and after.revision == deleted_revision
    edit = outcomes["other"]
    if isinstance(edit, Conflict):  # the edit read the deleted message: refused, nothing written
        assert edit.code == "message_removed"
        assert after.body == "what I said first" and after.edited_at is None
    else:  # the edit got the message first: made before the deletion, which is the newer change
        assert edit[0] < deleted_revision and not edit[1], outcomes


def test_a_reaction_while_the_message_is_deleted_does_not_show_it_again(app):
    alice, bob = make_user("alice"), make_user("bob")
    group = make_group(alice, members=[bob])
    message = send_message(alice, group.id, "react to this").message
    message_id, alice_id, bob_id = message.id, alice.id, bob.id

    outcomes = deletion_first(app, lambda: delete_message(as_user(alice_id), message_id),
                              lambda: add_reaction(as_user(bob_id), message_id, "👍"))

    deleted_revision, removed, _ = outcomes["delete"]
    assert removed
    after = stored(message_id)
    assert after.is_removed and after.revision == deleted_revision
    reaction = outcomes["other"]
    if isinstance(reaction, Conflict):
        assert reaction.code == "message_removed"
        assert after.reactions == []
    else:
        assert reaction[0] < deleted_revision and not reaction[1], outcomes


def test_a_message_deleted_from_two_devices_at_once_is_deleted_once(app):
    alice, bob = make_user("alice"), make_user("bob")
    group = make_group(alice, members=[bob])
    message = send_message(alice, group.id, "twice").message
    message_id, alice_id = message.id, alice.id

    outcomes = deletion_first(app, lambda: delete_message(as_user(alice_id), message_id),
                              lambda: delete_message(as_user(alice_id), message_id))

    # Whichever read it first deleted it; the other read it deleted and was refused, as a delete asked
    # again is. Before, both were made: two revisions, two message:updated.
    refused = [outcome for outcome in outcomes.values() if isinstance(outcome, Conflict)]
    made = [outcome for outcome in outcomes.values() if not isinstance(outcome, Conflict)]
    assert [error.code for error in refused] == ["message_removed"] and len(made) == 1, outcomes
    assert made[0][1] and stored(message_id).revision == made[0][0]


def hide_recorded(message_id: int) -> AuditEntry:
    db.session.expire_all()
    return db.session.execute(db.select(AuditEntry).where(
        AuditEntry.action == "message.hide", AuditEntry.target_id == message_id)).scalar_one()


@pytest.mark.parametrize("hide", ["one", "the sender's recent ones"])
def test_an_operator_hiding_a_message_its_author_edits_meanwhile_records_what_it_hid(app, hide):
    alice, bob, operator = make_user("alice"), make_user("bob"), make_user("operator", role="admin")
    group = make_group(alice, members=[bob])
    message = send_message(alice, group.id, "short").message
    message_id, alice_id, operator_id = message.id, alice.id, operator.id
    hiding = (lambda: hide_message(as_user(operator_id), message_id)) if hide == "one" else (
        lambda: hide_recent_messages(as_user(operator_id), alice_id, 1)[0])

    # The edit and the operator's hide at the same moment: whichever holds the message first goes first, and
    # the hide decides, and writes in the audit log, on the message as it is then. Before (actions.moderation
    # read it without its lock) both read it side by side and the entry of a hide made after the edit said
    # it hid the text of 5 characters, the edit's being 25.
    outcomes = deletion_first(app, lambda: edit_message(as_user(alice_id), message_id, "a much longer text by now"),
                              hiding)

    hidden_revision, hidden, _ = outcomes["other"]
    assert hidden
    edit = outcomes["delete"]
    if isinstance(edit, Conflict):  # the hide first: the edit read a hidden message and was refused
        assert edit.code == "message_removed"
        assert hide_recorded(message_id).before["body_length"] == len("short")
    else:
        assert hidden_revision > edit[0]
        assert hide_recorded(message_id).before["body_length"] == len("a much longer text by now")
