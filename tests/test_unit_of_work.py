"""events.unit_of_work: one transaction per unit, events released after commit, never after a rollback."""
import sqlite3
import threading
from contextlib import closing

import pytest
from flask import g

from actions.errors import Conflict, NotFound
from actions.groups import add_member, create_group
from actions.messages import send_message
from events.facts import ConversationJoined, ConversationRead, MessageCreated
from events.unit_of_work import (
    HeldEvents,
    atomic,
    in_unit,
    note_in_any_case,
    on_rollback,
    outside_the_database,
    pending_events,
    savepoint,
)
from events.unreleased import UnreleasedRevisions
from extensions import db
from models import Conversation, Message
from tests.factories import make_group
from tests.helpers import bearer, database_rows


def test_an_action_on_its_own_commits_and_then_publishes(alice, group, captured_events):
    sent = send_message(alice, group.id, "hello")
    assert captured_events == [MessageCreated(group.id, sent.message.id, 1), ConversationRead(alice.id, group.id, 1)]
    assert not in_unit()


def test_asking_whether_a_unit_is_open_makes_no_session(app):
    # A probe or a static file opens no unit: the request's teardown asks, and must not make a session to.
    with app.app_context():
        assert not in_unit() and not db.session.registry.has()
        with atomic():
            assert in_unit() and db.session.registry.has()
        assert not in_unit()


def test_a_unit_that_fails_after_queuing_an_event_emits_nothing_and_stores_nothing(alice, bob, group, carol,
                                                                                    captured_events):
    other = make_group(alice, "Other", [bob])
    send_message(alice, other.id, "first", client_id="c-1")
    captured_events.clear()
    before = database_rows()
    with pytest.raises(Conflict), atomic():
        send_message(alice, group.id, "queued, then undone")
        add_member(alice, group.id, carol.id)
        # MessageCreated, ConversationRead; ConversationJoined, MemberJoined, and the note's MessageCreated
        # and ConversationRead (actions.group_notes)
        assert len(pending_events()) == 6
        send_message(alice, group.id, "reuses c-1", client_id="c-1")  # refused: client_id_reused
    assert database_rows() == before
    assert captured_events == [] and pending_events() == []


def test_nested_actions_join_the_outer_unit_and_publish_once_it_commits(alice, bob, captured_events):
    with atomic():
        group = create_group(alice, "Launch", member_ids=[bob.id])
        sent = send_message(alice, group.id, "welcome")
        assert captured_events == []  # nothing leaves before the commit
        assert in_unit()
    assert captured_events == [ConversationJoined(alice.id, group.id), ConversationJoined(bob.id, group.id),
                               MessageCreated(group.id, sent.message.id, 1), ConversationRead(alice.id, group.id, 1)]
    db.session.expire_all()
    assert db.session.get(Conversation, group.id).last_seq == 1


def test_a_failed_savepoint_drops_its_own_writes_and_events_only(alice, bob, carol, group, captured_events):
    with atomic():
        first = send_message(alice, group.id, "kept").message
        with pytest.raises(NotFound), savepoint():
            add_member(alice, group.id, carol.id)
            add_member(alice, group.id, 9999)  # no such user: this part alone is undone
        assert [type(fact) for fact in pending_events()] == [MessageCreated, ConversationRead]
    assert captured_events == [MessageCreated(group.id, first.id, 1), ConversationRead(alice.id, group.id, 1)]
    db.session.expire_all()
    assert db.session.get(Message, first.id).body == "kept"
    assert {membership.user_id for membership in db.session.get(Conversation, group.id).memberships} == {
        alice.id, bob.id}


def test_outside_the_database_drops_bookkeeping_and_refuses_after_an_event(alice, bob, group, captured_events):
    with atomic():
        alice.display_name = "Noted before the wait"  # bookkeeping, as a token's last use
        with outside_the_database():
            assert not db.session().in_transaction()  # ended: no connection held while waiting
        sent = send_message(alice, group.id, "after the wait")
    assert db.session.get(type(alice), alice.id).display_name != "Noted before the wait"  # dropped
    assert captured_events[0] == MessageCreated(group.id, sent.message.id, 1)
    with pytest.raises(RuntimeError, match="after an event"), atomic():
        send_message(bob, group.id, "queued")
        with outside_the_database():
            pass
    with pytest.raises(RuntimeError, match="needs a unit of work"), outside_the_database():
        pass


def test_what_is_noted_in_any_case_stands_whatever_becomes_of_the_unit(alice, group):
    users = db.metadata.tables["users"]

    def note(name: str) -> None:
        note_in_any_case(users.update().where(users.c.id == alice.id).values(display_name=name), {})

    def noted() -> str:
        return db.session.execute(db.select(users.c.display_name).where(users.c.id == alice.id)).scalar_one()

    with pytest.raises(NotFound), atomic():
        note("noted, then refused")
        send_message(alice, group.id, "refused with it")
        raise NotFound("nothing", "the unit is refused")
    assert noted() == "noted, then refused"  # written again, alone: the message is not
    assert db.session.execute(db.select(db.func.count()).select_from(Message)).scalar_one() == 0
    with atomic():
        note("noted before a wait on a client")
        with outside_the_database():
            assert not db.session().in_transaction()  # written again, and nothing held while waiting
        assert noted() == "noted before a wait on a client"
    with pytest.raises(KeyboardInterrupt), atomic():  # a unit being killed writes nothing more
        note("noted, then killed")
        raise KeyboardInterrupt
    assert noted() == "noted before a wait on a client"


def test_what_is_written_outside_the_database_is_taken_back_unless_the_unit_commits(alice, group, monkeypatch):
    taken_back = []

    def write_outside(name: str) -> None:
        with outside_the_database() as written:
            written.undo_with(lambda: taken_back.append(name))

    with atomic():
        write_outside("committed")
    with pytest.raises(NotFound), atomic():
        write_outside("refused later")
        raise NotFound("nothing", "the unit fails after the write")
    with atomic():
        with pytest.raises(NotFound), savepoint():
            on_rollback(lambda: taken_back.append("its savepoint rolled back"))
            raise NotFound("nothing", "this part alone is undone")
        with savepoint():
            on_rollback(lambda: taken_back.append("its savepoint released, then the unit committed"))

    def failing_commit(*args, **kwargs):
        raise RuntimeError("the database went away at COMMIT")

    with pytest.raises(RuntimeError), atomic():
        write_outside("its COMMIT failed")
        send_message(alice, group.id, "a write to commit")
        monkeypatch.setattr(db.session.get_bind().dialect, "do_commit", failing_commit)
    monkeypatch.undo()
    with pytest.raises(ValueError), atomic(), outside_the_database() as written:
        written.undo_with(lambda: taken_back.append("the block failed"))
        raise ValueError("the body was cut off")
    # A failed COMMIT may have been made by the database (its answer lost): what it may record is kept.
    assert taken_back == ["refused later", "its savepoint rolled back", "the block failed"]


def test_a_savepoint_on_sqlite_holds_the_write_lock_so_its_reads_cannot_go_stale(app, alice, bob):
    """A savepoint opens the real transaction first (models.database): with a plain deferred BEGIN, the
    reads after it pinned a snapshot, another connection could commit meanwhile (while this unit waited
    on a password hash, say), and the unit's first write then failed at once with "database is locked"
    (SQLite does not wait for a stale snapshot): an operator's password reset was refused 503 so."""
    path, bob_id = db.engine.url.database, bob.id
    other_writer: dict = {}

    def write_elsewhere() -> None:
        with closing(sqlite3.connect(path, timeout=10)) as connection:
            connection.execute("UPDATE users SET display_name = 'elsewhere' WHERE id = ?", (bob_id,))
            connection.commit()
            other_writer["done"] = True

    with atomic(), savepoint():
        assert db.session.get(type(alice), alice.id).display_name != "mine"  # a read in the transaction
        elsewhere = threading.Thread(target=write_elsewhere)
        elsewhere.start()
        elsewhere.join(0.5)  # it waits for this unit's lock (before: it committed at once)
        alice.display_name = "mine"
        db.session.flush()
    elsewhere.join(10)
    assert other_writer == {"done": True}
    db.session.expire_all()
    assert (db.session.get(type(alice), alice.id).display_name,
            db.session.get(type(bob), bob.id).display_name) == ("mine", "elsewhere")


def test_held_events_wait_for_the_transport(alice, group, captured_events):
    held = HeldEvents().start()
    try:
        sent = send_message(alice, group.id, "held")
    finally:
        held.stop()
    assert captured_events == [] and held
    held.release()
    assert captured_events == [MessageCreated(group.id, sent.message.id, 1), ConversationRead(alice.id, group.id, 1)]


def test_a_held_revision_is_known_as_unreleased_until_it_is_delivered(app, alice, group, captured_events):
    # realtime.ordering asks this before it reads a missing revision from the database.
    unreleased = app.extensions["events"].unreleased
    held = HeldEvents().start()
    try:
        sent = send_message(alice, group.id, "held")
    finally:
        held.stop()
    assert unreleased.held_between(group.id, 1, 1) and sent.message.revision == 1
    held.release()
    assert not unreleased.held_between(group.id, 1, 1) and captured_events


def test_a_revision_held_for_a_transport_is_held_elsewhere_before_its_commit_until_released(app, alice, group):
    # Several processes (realtime.held_elsewhere): a later revision of the conversation cannot commit before
    # this one, so a process that sees the gap it leaves finds the hold.
    path, seen = db.engine.url.database, []

    class Elsewhere(UnreleasedRevisions):  # a stand-in for Redis that notes what was committed at each hold
        def hold(self, revisions, for_a_transport=False) -> None:
            with closing(sqlite3.connect(path, timeout=10)) as other:  # sees only what is committed
                stored = other.execute("SELECT count(*) FROM messages WHERE conversation_id = ?",
                                       (group.id,)).fetchone()[0]
            seen.append((revisions, stored))
            super().hold(revisions)

    unreleased = app.extensions["events"].unreleased
    unreleased.elsewhere = elsewhere = Elsewhere()
    send_message(alice, group.id, "not held: nobody waits for an answer")
    held = HeldEvents().start()
    try:
        sent = send_message(alice, group.id, "held until the answer is written")
    finally:
        held.stop()
    revision = sent.message.revision
    assert seen == [([(group.id, revision)], 1)]  # before its COMMIT: only the first was stored
    assert elsewhere.held_between(group.id, revision, revision)
    held.release()
    assert not elsewhere.held_between(group.id, 1, revision) and not unreleased.held_between(group.id, 1, revision)


def test_a_commit_that_fails_lets_go_of_its_revisions(app, alice, group, monkeypatch):
    unreleased = app.extensions["events"].unreleased

    def failing_commit(*args, **kwargs):
        raise RuntimeError("the database went away at COMMIT")

    with pytest.raises(RuntimeError), atomic():
        send_message(alice, group.id, "never committed")
        monkeypatch.setattr(db.session.get_bind().dialect, "do_commit", failing_commit)
    monkeypatch.undo()
    assert not unreleased.held_between(group.id, 1, 1)


def test_an_http_request_whose_commit_fails_lets_go_of_its_revisions(app, client, alice, group, monkeypatch):
    unreleased = app.extensions["events"].unreleased

    def failing_commit(*args, **kwargs):
        raise RuntimeError("the database went away at COMMIT")

    headers = bearer(alice)
    monkeypatch.setattr(db.session.get_bind().dialect, "do_commit", failing_commit)
    with pytest.raises(RuntimeError):  # the test client lets the error through: a server would answer 500
        client.post(f"/api/conversations/{group.id}/messages", json={"body": "never committed"}, headers=headers)
    monkeypatch.undo()
    assert not unreleased.held_between(group.id, 1, 1)


def test_an_http_request_is_one_unit_and_its_events_leave_after_the_response(app, alice, bob, group, captured_events):
    from tests.helpers import bearer

    headers = bearer(alice)
    responses = []

    @app.after_request
    def seen(response):
        responses.append((response.status_code, list(captured_events)))
        return response

    response = app.test_client().post(f"/api/conversations/{group.id}/messages", json={"body": "hi"},
                                      headers=headers)
    assert response.status_code == 201
    assert responses == [(201, [])]  # answered before anything was published
    assert [type(fact) for fact in captured_events] == [MessageCreated, ConversationRead]
    refused = app.test_client().post(f"/api/conversations/{group.id}/messages", json={"body": ""}, headers=headers)
    assert refused.status_code == 400 and len(captured_events) == 2
    assert g.get("held_events") is None


def test_a_write_lock_held_elsewhere_past_the_lock_wait_is_unavailable_not_a_500(app, client, alice, bob):
    """An action that opens the write transaction itself (models.database.begin_writing, on the driver's
    connection: hold_account_unchecked, as opening a direct chat does) got SQLite's own "database is locked"
    when another connection (the job consumer, another instance) held the lock past the wait (5 s): an error
    the fault answer did not know, so a 500. It is the database unavailable for the moment: 503, nothing changed."""
    headers = bearer(alice)
    assert client.get("/api/me", headers=headers).status_code == 200  # the token's use noted: not again this minute
    before = database_rows()
    with closing(sqlite3.connect(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"),
                                 isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        response = client.post("/api/direct", json={"user_id": bob.id}, headers=headers)
        other.execute("ROLLBACK")
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"]["code"] == "unavailable"
    assert database_rows() == before


def test_only_a_view_marked_to_stream_its_body_reads_it_as_a_stream(app):
    """Every other body is read whole before the request's unit opens (blueprints.http_unit.read_the_body_first):
    a view that would stream it unmarked is a programming error, not a body read while the unit holds a lock."""
    from blueprints.http_unit import streamed_body, streams_its_body

    def body_length() -> str:
        return str(len(streamed_body().read()))

    app.add_url_rule("/test-marked", "marked", streams_its_body(body_length), methods=["POST"])
    app.add_url_rule("/test-unmarked", "unmarked", lambda: body_length(), methods=["POST"])
    client = app.test_client()
    assert client.post("/test-marked", data=b"x" * 10).get_data() == b"10"
    with pytest.raises(RuntimeError, match="mark its view @streams_its_body"):
        client.post("/test-unmarked", data=b"x" * 10)
