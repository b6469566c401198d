"""realtime/reconcile.py: what a process holds, corrected from the database once its bus is back, and
the rule of every reading of a connection's rooms (the live behaviour across two instances:
tests/faults/test_redis_outage_rooms.py)."""
import pytest

import realtime.reconcile
from actions.accounts import issue_api_token
from actions.groups import remove_member
from actions.sessions import revoke_own_token
from realtime.reconcile import CUT, READINGS, Correction, KeptChanging, LiveConnection, read_unchanged, reconcile
from tests.factories import make_group


def run(app, connections, room_changes=lambda: 0, correct=None):
    corrections = []
    record = correct or (lambda connection, correction: corrections.append((connection.connection, correction)))
    reconcile(app, connections, room_changes, record, lambda seconds: None, "connections")
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


def test_a_reading_is_made_again_while_room_changes_are_applied_during_it():
    counts = iter([0, 1, 1, 2, 2, 2])  # before and after each reading: moved, moved, then not
    readings = []
    assert read_unchanged(lambda: next(counts), lambda: readings.append("read") or len(readings)) == 3
    always = iter(range(100))
    with pytest.raises(KeptChanging):
        read_unchanged(lambda: next(always), lambda: None)


def test_a_user_whose_readings_kept_changing_is_cut(app, alice, bob):
    team = make_group(alice, "Team", [bob])
    token = issue_api_token(bob)
    always = iter(range(100))
    assert run(app, [LiveConnection("bob-1", bob.id, "token", token.record.id, frozenset({team.id}))],
               lambda: next(always)) == [("bob-1", CUT)]
    assert READINGS == 5


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
        ("bob-1", CUT)]
    assert len(failures) == realtime.reconcile.PASSES  # read again each pass, cut after the last


def test_one_connection_that_cannot_be_corrected_does_not_stop_the_others(app, alice, bob, carol):
    bob_token, carol_token = issue_api_token(bob), issue_api_token(carol)
    corrected = []

    def correct(connection, correction):
        if connection.connection == "bob-1":
            raise KeyError("gone meanwhile")
        corrected.append(connection.connection)

    run(app, [LiveConnection("bob-1", bob.id, "token", bob_token.record.id, frozenset({98})),
              LiveConnection("carol-1", carol.id, "token", carol_token.record.id, frozenset({99}))], correct=correct)
    assert corrected == ["carol-1"]
