"""realtime/reconcile.py: what a process holds, corrected from the database once its bus is back (the
live behaviour across two instances: tests/faults/test_redis_outage_rooms.py)."""
from actions.accounts import issue_api_token
from actions.groups import remove_member
from actions.sessions import revoke_own_token
from realtime.reconcile import Correction, Held, reconcile
from realtime.reconcile import _read as read
from tests.factories import make_group


def run(app, held, room_changes=lambda: 0):
    corrections = []
    reconcile(app, held, room_changes, lambda connection, correction: corrections.append((connection.connection,
                                                                                          correction)), lambda: None)
    return corrections


def test_connections_follow_what_their_users_may_read_and_ended_credentials_are_cut(app, alice, bob, carol):
    team, other = make_group(alice, "Team", [bob]), make_group(alice, "Other", [carol])
    bob_token, carol_token, alice_token = (issue_api_token(user) for user in (bob, carol, alice))
    remove_member(alice, team.id, bob.id)
    revoke_own_token(carol, carol_token.record.id)
    held = [Held("bob-1", bob.id, "token", bob_token.record.id, frozenset({team.id})),
            Held("carol-1", carol.id, "token", carol_token.record.id, frozenset({other.id})),
            Held("alice-1", alice.id, "token", alice_token.record.id, frozenset({team.id})),
            Held("alice-2", alice.id, "token", alice_token.record.id, frozenset({team.id, other.id}))]
    assert run(app, held) == [
        ("bob-1", Correction(cut=False, follow=frozenset(), unfollow=frozenset({team.id}))),
        ("carol-1", Correction(cut=True, follow=frozenset(), unfollow=frozenset())),
        ("alice-1", Correction(cut=False, follow=frozenset({other.id}), unfollow=frozenset())),
    ]  # alice-2 is right as it is


def test_a_user_is_read_again_while_room_changes_arrive_during_the_reading(app, alice, bob, monkeypatch):
    team = make_group(alice, "Team", [bob])
    token = issue_api_token(bob)
    counts = iter([0, 1, 1, 2, 2, 2])  # before and after each reading: changed, changed, then not
    readings = []

    def counting_read(app, user_id, connections):
        readings.append(user_id)
        return read(app, user_id, connections)

    monkeypatch.setattr("realtime.reconcile._read", counting_read)
    assert run(app, [Held("bob-1", bob.id, "token", token.record.id, frozenset({team.id}))], lambda: next(counts)) == []
    assert readings == [bob.id, bob.id, bob.id]


def test_a_user_who_cannot_be_read_is_cut(app, alice, bob, monkeypatch):
    token = issue_api_token(bob)

    def unreadable(*_args):
        raise RuntimeError("the database is away")

    monkeypatch.setattr("realtime.reconcile._read", unreadable)
    assert run(app, [Held("bob-1", bob.id, "token", token.record.id, frozenset())]) == [
        ("bob-1", Correction(cut=True, follow=frozenset(), unfollow=frozenset()))]
