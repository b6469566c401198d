"""Changes of a group's memberships made at once by two requests, on SQLite and on PostgreSQL: each is
made after the other's commit (actions.groups.hold_group: the group's row lock, taken before any
membership is read), so an empty group gets one owner, not two, two owners leaving at once leave it with
one, a hand-over while the new owner leaves leaves an owner, and none deadlocks.

Each request runs in its own thread, app context and database connection. Every statement that reads
memberships waits at a barrier for the other request's: two such reads made side by side (the race) both
pass it; reads made one after the other leave the first waiting alone until the barrier's timeout (below
SQLite's busy_timeout of 5 s, which the second waits in), after which it goes on and commits."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import event

from actions.errors import ActionError
from actions.groups import join_group, leave_group, set_member_role, transfer_ownership
from extensions import db
from models import Membership, User
from tests.database_apps import ENGINES, engine_app
from tests.factories import make_group, make_user
from tests.helpers import run_at_once

BARRIER_SECONDS = 2  # how long a count waits for the other's: the race needs far less


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        yield app


def side_by_side(app, *requests) -> list[BaseException]:
    """Run each request (a function of no arguments) in its own thread; their owner counts meet at a
    barrier if they can. Returns what they raised."""
    barrier = threading.Barrier(len(requests), timeout=BARRIER_SECONDS)
    counts_met = []

    def after_execute(_connection, _cursor, statement, *_):
        if "FROM memberships" in statement and threading.current_thread().name.startswith("request "):
            try:
                barrier.wait()
                counts_met.append(True)
            except threading.BrokenBarrierError:
                pass

    outcomes = run_at_once(app, {f"request {number}": request for number, request in enumerate(requests)},
                           after_execute)
    assert not counts_met, "two requests read the memberships side by side"
    return [outcome for outcome in outcomes.values() if isinstance(outcome, BaseException)]


def roles(group_id: int) -> dict[str, str]:
    db.session.expire_all()
    return {membership.user.username: membership.role for membership in db.session.execute(
        db.select(Membership).where(Membership.conversation_id == group_id)).scalars()}


def as_user(user_id: int):
    return db.session.get(User, user_id)


def test_two_people_joining_an_empty_group_at_once_make_one_owner(app):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    group = make_group(alice, "Open", visibility="public")
    leave_group(alice, group.id)
    group_id, bob_id, carol_id = group.id, bob.id, carol.id

    failures = side_by_side(app, lambda: join_group(as_user(bob_id), group_id),
                            lambda: join_group(as_user(carol_id), group_id))

    assert failures == []
    assert sorted(roles(group_id).values()) == ["member", "owner"]


def test_two_owners_leaving_at_once_pass_the_group_on(app):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    group = make_group(alice, "Team", members=[bob, carol])
    set_member_role(alice, group.id, bob.id, "owner")
    group_id, alice_id, bob_id = group.id, alice.id, bob.id

    failures = side_by_side(app, lambda: leave_group(as_user(alice_id), group_id),
                            lambda: leave_group(as_user(bob_id), group_id))

    assert failures == []
    assert roles(group_id) == {"carol": "owner"}


@pytest.mark.parametrize("leaver", ["carol", "alice"], ids=["the new owner leaves", "the owner leaves in another tab"])
def test_a_hand_over_while_someone_leaves_leaves_one_owner_and_deadlocks_nothing(app, leaver):
    users = {name: make_user(name) for name in ("alice", "bob", "carol")}
    group = make_group(users["alice"], "Team", members=[users["bob"], users["carol"]])
    group_id, alice_id, carol_id, leaver_id = group.id, users["alice"].id, users["carol"].id, users[leaver].id

    failures = side_by_side(app, lambda: transfer_ownership(as_user(alice_id), group_id, carol_id),
                            lambda: leave_group(as_user(leaver_id), group_id))

    # The hand-over, if second, is refused (its new owner, or its owner, has gone); never a deadlock.
    assert all(isinstance(failure, ActionError) for failure in failures), failures
    assert "owner" in roles(group_id).values() and leaver not in roles(group_id)
    assert list(roles(group_id).values()).count("owner") == 1


def test_two_admins_giving_the_group_the_same_name_at_once_leave_one_note(app):
    """The second rename finds the name it asks for already there: nothing changes, nobody is told (as
    protocol.md says of a name the group has). Read before the other's commit, it posted a second
    "renamed the group to …" note and a second conversation:updated (seen on PostgreSQL)."""
    from actions.groups import update_group
    from models import Message

    alice, bob = make_user("alice"), make_user("bob")
    group = make_group(alice, "Team", members=[bob])
    set_member_role(alice, group.id, bob.id, "admin")
    group_id, alice_id, bob_id = group.id, alice.id, bob.id

    failures = side_by_side(app, lambda: update_group(as_user(alice_id), group_id, name="Lobby"),
                            lambda: update_group(as_user(bob_id), group_id, name="Lobby"))

    assert failures == []
    db.session.expire_all()
    notes = db.session.execute(db.select(Message.body).where(
        Message.conversation_id == group_id, Message.body.contains("renamed"))).scalars().all()
    assert len(notes) == 1, notes


@pytest.mark.parametrize("app", ["postgresql"], indirect=True)
def test_two_operators_banning_the_owner_and_its_successor_at_once_leave_an_active_owner(app):
    """PostgreSQL: one operator bans the group's only owner while another bans its admin. The first read
    the admin as active (the second's ban not yet committed) and made it an owner too; the second had
    listed the groups its account owned before that and found none: the group was left with two banned
    owners and an active member who could manage nothing. Each closure holds every group its account is
    in, and decides there: the second finds its account an owner by then, and the member gets the group."""
    from actions.user_admin import deactivate_user

    owner, admin, member = make_user("alice"), make_user("bob"), make_user("carol")
    operator_a, operator_b = make_user("ops1", role="admin"), make_user("ops2", role="admin")
    group = make_group(owner, "Team", members=[admin, member])
    set_member_role(owner, group.id, admin.id, "admin")
    ids = group.id, owner.id, admin.id, operator_a.id, operator_b.id
    group_id, owner_id, admin_id, a_id, b_id = ids
    db.session.commit()
    b_listed, a_picked = threading.Event(), threading.Event()
    names = {}

    def before_execute(_connection, _cursor, statement, *_):
        if names.get(threading.current_thread()) == "a" and "users.confirmed_at IS NOT NULL) DESC" in statement:
            b_listed.wait(5)  # the ban of the admin is made, not committed

    def after_execute(_connection, _cursor, statement, *_):
        name = names.get(threading.current_thread())
        if name == "a" and "users.confirmed_at IS NOT NULL) DESC" in statement:
            a_picked.set()
        elif name == "b" and "FROM memberships" in statement and not b_listed.is_set():
            b_listed.set()
            a_picked.wait(5)

    def ban(name, operator_id, user_id):
        names[threading.current_thread()] = name
        with app.app_context():
            try:
                deactivate_user(as_user(operator_id), user_id)
            finally:
                db.session.remove()

    event.listen(db.engine, "before_cursor_execute", before_execute)
    event.listen(db.engine, "after_cursor_execute", after_execute)
    try:
        threads = [threading.Thread(target=ban, args=("a", a_id, owner_id)),
                   threading.Thread(target=ban, args=("b", b_id, admin_id))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        event.remove(db.engine, "before_cursor_execute", before_execute)
        event.remove(db.engine, "after_cursor_execute", after_execute)
    assert a_picked.is_set() and b_listed.is_set()
    assert roles(group_id) == {"alice": "owner", "bob": "owner", "carol": "owner"}


def test_an_operator_and_an_admin_giving_the_group_the_same_name_at_once_leave_one_note(app):
    """The operator's rename (the back office) read the old name beside the admin's, and both posted
    "renamed the group to …": it takes the group's row first too, as update_group does."""
    from actions.group_admin import edit_group
    from actions.groups import update_group
    from models import Message

    alice, bob, operator = make_user("alice"), make_user("bob"), make_user("ops", role="admin")
    group = make_group(alice, "Team", members=[bob])
    set_member_role(alice, group.id, bob.id, "admin")
    group_id, bob_id, operator_id = group.id, bob.id, operator.id
    db.session.commit()
    admin_read = threading.Event()
    waited = []

    def after_execute(_connection, _cursor, statement, *_):
        name = threading.current_thread().name
        if name == "admin" and "FROM memberships" in statement:
            admin_read.set()
        elif name == "operator" and "FROM conversations" in statement and not waited:
            waited.append(True)
            admin_read.wait(BARRIER_SECONDS)  # the admin renames meanwhile, if it can

    outcomes = run_at_once(app, {"operator": lambda: edit_group(as_user(operator_id), group_id, "Lobby", ""),
                                 "admin": lambda: update_group(as_user(bob_id), group_id, name="Lobby")},
                           after_execute)
    failures = [outcome for outcome in outcomes.values() if isinstance(outcome, BaseException)]
    assert failures == [] and waited
    db.session.expire_all()
    notes = db.session.execute(db.select(Message.body).where(
        Message.conversation_id == group_id, Message.body.contains("renamed"))).scalars().all()
    assert len(notes) == 1, notes
