"""realtime/reconcile.py: what a process holds, corrected from the database once its bus is back, and
the rule of every reading of a connection's rooms (the live behaviour across two instances:
tests/faults/test_redis_outage_rooms.py)."""
import pytest

import realtime.reconcile
from actions.accounts import issue_api_token
from actions.groups import remove_member
from actions.sessions import revoke_own_token
from realtime import token_room
from realtime.reconcile import (
    CUT,
    READINGS,
    UNCHECKED,
    Correction,
    KeptChanging,
    LiveConnection,
    OneAtATime,
    RoomChanges,
    read_unchanged,
    reconcile,
)
from tests.factories import make_group


def run(app, connections, changes=None, correct=None):
    corrections = []
    record = correct or (lambda connection, correction: not corrections.append((connection.connection, correction)))
    reconcile(app, connections, changes or RoomChanges(), record, lambda seconds: None, "connections")
    return corrections


def test_connections_follow_what_their_users_may_read_and_ended_credentials_are_cut(app, alice, bob, carol):
    team, other = make_group(alice, "Team", [bob]), make_group(alice, "Other", [carol])
    bob_token, carol_token, alice_token = (issue_api_token(user) for user in (bob, carol, alice))
    remove_member(alice, team.id, bob.id)
    revoke_own_token(carol, carol_token.record.id)
    connections = [LiveConnection("bob-1", bob.id, "token", bob_token.record.id, frozenset({team.id})),
                   LiveConnection("carol-1", carol.id, "token", carol_token.record.id, frozenset({other.id})),
                   LiveConnection("alice-1", alice.id, "token", alice_token.record.id, frozenset({team.id})),
                   LiveConnection("alice-2", alice.id, "token", alice_token.record.id, frozenset({team.id, other.id})),
                   LiveConnection("alice-3", alice.id, "token", bob_token.record.id, frozenset())]  # not hers
    assert run(app, connections) == [
        ("bob-1", Correction(cut=False, follow=frozenset(), unfollow=frozenset({team.id}))),
        ("carol-1", CUT),
        ("alice-1", Correction(cut=False, follow=frozenset({other.id}), unfollow=frozenset())),
        ("alice-3", CUT),
    ]  # alice-2 is right as it is


def test_a_reading_is_made_again_while_a_change_aimed_at_its_rooms_is_applied_during_it():
    changes, readings = RoomChanges(), []

    def read():
        readings.append("read")
        changes.applied("user:9")  # someone else's: never a reason to read again
        if len(readings) < 3:
            changes.applied("user:1")
        return len(readings)

    assert read_unchanged(changes, read, lambda _reading: ("user:1", "token:4")) == 3
    assert read_unchanged(changes, read, lambda _reading: ("user:2",)) == 4  # read once
    mark = changes.count
    changes.lost_anywhere()  # the bus back after an outage: what was lost may concern anyone
    assert changes.since(mark, ("user:2",)) and not changes.since(changes.count, ("user:2",))
    with pytest.raises(KeptChanging):
        read_unchanged(changes, lambda: changes.applied("token:4"), lambda _reading: ("user:1", "token:4"))


def test_a_user_whose_readings_kept_changing_is_cut(app, alice, bob, monkeypatch):
    team = make_group(alice, "Team", [bob])
    token = issue_api_token(bob)
    changes, read, readings = RoomChanges(), realtime.reconcile._read_access, []

    def changed_while_read(app, user_id, connections):
        readings.append(user_id)
        changes.applied(token_room(token.record.id))  # a room change aimed at the connection's token, every time
        return read(app, user_id, connections)

    monkeypatch.setattr("realtime.reconcile._read_access", changed_while_read)
    assert run(app, [LiveConnection("bob-1", bob.id, "token", token.record.id, frozenset({team.id}))],
               changes) == [("bob-1", UNCHECKED)]  # it may come back at once: the gateway says so (unavailable)
    assert len(readings) == READINGS


def test_a_user_who_cannot_be_read_is_read_again_later_then_cut(app, alice, bob, carol, monkeypatch):
    bob_token, carol_token = issue_api_token(bob), issue_api_token(carol)
    read, failures = realtime.reconcile._read_access, []

    def bob_unreadable(app, user_id, connections):
        if user_id == bob.id:
            failures.append(user_id)
            raise RuntimeError("the database is away")
        return read(app, user_id, connections)

    monkeypatch.setattr("realtime.reconcile._read_access", bob_unreadable)
    assert run(app, [LiveConnection("bob-1", bob.id, "token", bob_token.record.id, frozenset()),
                     LiveConnection("carol-1", carol.id, "token", carol_token.record.id, frozenset({99}))]) == [
        ("carol-1", Correction(cut=False, follow=frozenset(), unfollow=frozenset({99}))),
        ("bob-1", UNCHECKED)]
    assert len(failures) == realtime.reconcile.PASSES  # read again each pass, cut after the last


def test_one_connection_that_cannot_be_corrected_does_not_stop_the_others(app, alice, bob, carol):
    bob_token, carol_token = issue_api_token(bob), issue_api_token(carol)
    corrected = []

    def correct(connection, correction):
        if connection.connection == "bob-1":
            raise KeyError("gone meanwhile")
        corrected.append(connection.connection)
        return True

    run(app, [LiveConnection("bob-1", bob.id, "token", bob_token.record.id, frozenset({98})),
              LiveConnection("carol-1", carol.id, "token", carol_token.record.id, frozenset({99}))], correct=correct)
    assert corrected == ["carol-1"]


def test_a_users_cuts_come_after_the_rest_of_their_corrections(app, alice, bob):
    """A cut runs the socket's goodbye, which may let other greenlets run (and apply a room change that
    would make the reading stale for the corrections after it)."""
    live, revoked = issue_api_token(bob), issue_api_token(bob)
    revoke_own_token(bob, revoked.record.id)
    order = []
    run(app, [LiveConnection("bob-revoked", bob.id, "token", revoked.record.id, frozenset()),
              LiveConnection("bob-live", bob.id, "token", live.record.id, frozenset({99}))],
        correct=lambda connection, correction: not order.append((connection.connection, correction.cut)))
    assert order == [("bob-live", False), ("bob-revoked", True)]


def test_a_correction_asked_for_while_one_runs_runs_once_after_it():
    runs, asked_during = [], []

    def run():
        runs.append(len(runs))
        if len(runs) == 1:  # the bus flapped during the first: asked twice more meanwhile
            corrections()
            corrections()
            asked_during.append(len(runs))

    corrections = OneAtATime(run)
    corrections()
    assert runs == [0, 1] and asked_during == [1]  # not beside it, and once for both
