"""The statements a plain send into an existing conversation costs (issue 15, the send path), on
SQLite and on PostgreSQL, over a page's socket (login cookie) and a token's: at most
SEND_STATEMENTS, the commit included, and nothing the send made read back to render it.

A change that adds a statement to a send makes this fail: look at the printed statements, then
remove it, or raise the number here on purpose (docs/benchmarks.md says what each one costs)."""
from __future__ import annotations

import threading
from io import BytesIO

import pytest

from actions.accounts import issue_api_token
from actions.direct import open_direct_conversation
from actions.errors import ActionError, InvalidInput
from actions.files import upload_attachment
from actions.messages import NEXT_NUMBERS, send_message
from events.unit_of_work import atomic, savepoint
from extensions import db, socketio
from models import Membership, Message, User
from tests.clients import IsolatedSocketClient
from tests.database_apps import ENGINES, engine_app
from tests.factories import make_group
from tests.helpers import events
from tests.query_count import statements

# Who is asking (the login session or token, with its user); the membership with its conversation;
# the conversation's next seq and revision (SELECT … FOR NO KEY UPDATE on PostgreSQL), the INSERT
# (… ON CONFLICT DO NOTHING: a retry is found by its unique client_id there, not by a lookup before each
# send), the numbers taken (UPDATE); the sender's read marker; the Web Push subscriptions of the other
# members; the COMMIT.
SEND_STATEMENTS = 8
# A direct chat adds its rules: blocks either way and the other person's privacy (who may write to them;
# the other person's id is the chat's key); and the other person, by primary key, for the bzGhost
# gateway's packet (its `toUserName`).
DIRECT_SEND_STATEMENTS = SEND_STATEMENTS + 3


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        yield app


@pytest.fixture(params=["cookie", "token"])
def sender_socket(request, app, alice, socket_client_for):
    if request.param == "cookie":
        yield socket_client_for("alice")
        return
    socket = IsolatedSocketClient(app, socketio, auth={"token": issue_api_token(alice).token})
    yield socket
    socket.disconnect()


def second_send(socket, conversation_id: int) -> tuple[dict, list[str]]:
    """A warm-up send, then a second one: its ack and the statements it ran."""
    first = socket.emit("message:send", {"conversation_id": conversation_id, "body": "warm up", "client_id": "w"},
                        callback=True)
    assert first["ok"], first
    events(socket)
    with statements() as seen:
        ack = socket.emit("message:send", {"conversation_id": conversation_id, "body": "hi", "client_id": "c-2"},
                          callback=True)
    assert ack["ok"] and ack["message"]["seq"] == 2 and ack["message"]["body"] == "hi", ack
    return ack, seen


def test_a_plain_send_costs_at_most_its_statements(app, alice, bob, sender_socket):
    group_id = make_group(alice, "Team", [bob]).id
    ack, seen = second_send(sender_socket, group_id)
    assert len(seen) <= SEND_STATEMENTS, "\n".join(seen)
    assert seen[-1] == "COMMIT"
    # Rendered from the rows the send made: the message, its mentions and reactions are not read again.
    assert not any(statement.startswith("SELECT") and ("messages.id = " in statement or "message_reactions" in
                                                       statement) for statement in seen), "\n".join(seen)
    (new,) = [payload for name, payload in events(sender_socket) if name == "message:new"]
    assert new["message"] == ack["message"]
    stored = db.session.execute(db.select(Message).where(Message.conversation_id == group_id)
                                .order_by(Message.seq)).scalars().all()
    assert [(message.seq, message.body) for message in stored] == [(1, "warm up"), (2, "hi")]


def test_a_direct_send_costs_its_rules_and_no_more(app, alice, bob, sender_socket):
    _ack, seen = second_send(sender_socket, open_direct_conversation(alice, bob.id).conversation.id)
    assert len(seen) <= DIRECT_SEND_STATEMENTS, "\n".join(seen)
    assert seen[-1] == "COMMIT"
    assert not any("JOIN memberships" in statement and "LIMIT" in statement for statement in seen), "\n".join(seen)


def test_a_retried_plain_send_is_answered_with_the_first_message_and_stores_nothing(app, alice, bob,
                                                                                     sender_socket):
    group_id = make_group(alice, "Team", [bob]).id
    payload = {"conversation_id": group_id, "body": "once", "client_id": "c-1"}
    first = sender_socket.emit("message:send", payload, callback=True)
    second = sender_socket.emit("message:send", {**payload, "body": "twice?"}, callback=True)
    after = sender_socket.emit("message:send", {**payload, "client_id": "c-2", "body": "next"}, callback=True)
    assert first["ok"] and not first["duplicate"] and second["ok"] and second["duplicate"], (first, second)
    assert second["message"] == first["message"]
    # The retry took no seq or revision: its insert wrote nothing, and the numbers are taken after it.
    assert (after["message"]["seq"], after["message"]["revision"]) == (2, 2), after
    stored = db.session.execute(db.select(Message.body).where(Message.conversation_id == group_id)
                                .order_by(Message.seq)).scalars().all()
    assert stored == ["once", "next"]


def concurrent_sends(app, sender_id: int, conversation_id: int, client_ids: list[str]) -> list[tuple[int, int, bool]]:
    """One send per client id, each from a connection of its own, all at once: (id, seq, created) of each."""
    start, answers = threading.Barrier(len(client_ids)), []

    def send(client_id: str) -> None:
        with app.app_context():
            start.wait()
            with atomic():
                sent = send_message(db.session.get(User, sender_id), conversation_id, f"from {client_id}",
                                    client_id=client_id, admitted=True)
                answers.append((sent.message.id, sent.message.seq, sent.created))
            db.session.remove()

    threads = [threading.Thread(target=send, args=(client_id,)) for client_id in client_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == len(client_ids), answers  # every one answered, none failed
    return answers


def test_concurrent_sends_of_one_client_id_store_one_message_and_leave_no_gap(app, alice, bob):
    # The one that inserts first stores the message; the others' inserts find its unique (sender,
    # client_id) (on PostgreSQL after waiting for its COMMIT) and answer with it; none took a number.
    group_id = make_group(alice, "Team", [bob]).id
    answers = concurrent_sends(app, alice.id, group_id, ["same"] * 6)
    assert len({(message_id, seq) for message_id, seq, _ in answers}) == 1, answers
    assert sorted(created for _, _, created in answers) == [False] * 5 + [True]
    following = send_message(alice, group_id, "next", client_id="other", admitted=True).message
    assert (following.seq, following.revision) == (2, 2)


def test_concurrent_sends_into_one_conversation_are_numbered_one_to_n(app, alice, bob):
    # Each takes the conversation's next numbers under its row lock (SQLite: the write lock), so none
    # reads numbers another is about to take.
    group_id = make_group(alice, "Team", [bob]).id
    answers = concurrent_sends(app, alice.id, group_id, [f"c-{number}" for number in range(6)])
    assert sorted(seq for _, seq, _ in answers) == [1, 2, 3, 4, 5, 6] and all(created for *_, created in answers)
    stored = db.session.execute(db.select(Message.seq, Message.revision).where(Message.conversation_id == group_id)
                                .order_by(Message.seq)).all()
    assert [tuple(row) for row in stored] == [(seq, seq) for seq in range(1, 7)]


def test_a_message_taken_back_leaves_the_session_and_its_id_serves_again(app, alice, bob):
    # The message is written by a Core INSERT and put in the session as the row it is
    # (events.unit_of_work.new_as_written): a rollback takes it out again, or the next message, which
    # SQLite gives the same id, could not join the session.
    group_id = make_group(alice, "Team", [bob]).id
    with atomic():
        with pytest.raises(ActionError) as refused, savepoint():  # `@all` needs a group admin: refused
            send_message(bob, group_id, "@all listen", admitted=True)  # after the message was written
        assert refused.value.code == "mention_all_forbidden"
        kept = send_message(bob, group_id, "listen", admitted=True).message
    with pytest.raises(ActionError), atomic():  # the whole unit rolled back
        send_message(alice, group_id, "never", admitted=True)
        raise InvalidInput("stop", "Taken back.")
    last = send_message(alice, group_id, "last", admitted=True).message
    stored = db.session.execute(db.select(Message.id, Message.seq, Message.body)
                                .where(Message.conversation_id == group_id).order_by(Message.seq)).all()
    assert [tuple(row) for row in stored] == [(kept.id, 1, "listen"), (last.id, 2, "last")]


def test_a_read_marker_taken_back_is_read_again_and_written_by_the_next_send(app, alice, bob):
    # The sender's read marker is written by a Core UPDATE and set in the session as written
    # (events.unit_of_work.set_as_written): a rollback expires it, or the next send, given the same seq,
    # would find it "already read" in memory and not write it.
    group_id = make_group(alice, "Team", [bob]).id
    with atomic():
        with pytest.raises(ActionError), savepoint():
            send_message(bob, group_id, "taken back", admitted=True)
            raise InvalidInput("stop", "Taken back.")
        again = send_message(bob, group_id, "kept", admitted=True).message
    assert again.seq == 1
    read = db.session.execute(db.select(Membership.last_read_seq, Membership.last_delivered_seq).where(
        Membership.conversation_id == group_id, Membership.user_id == bob.id)).one()
    assert tuple(read) == (1, 1)


@pytest.mark.parametrize("app", ["postgresql"], indirect=True)
def test_a_send_holding_its_numbers_does_not_hold_back_an_upload_into_the_conversation(app, alice, bob):
    """PostgreSQL: the numbering lock is FOR NO KEY UPDATE, so a new row that only refers to the
    conversation (an upload's: its foreign key takes KEY SHARE) goes on while a send is under way.
    Behind FOR UPDATE the upload waited for the send's COMMIT (here: until the send gives up)."""
    group_id, bob_id, uploaded = make_group(alice, "Team", [bob]).id, bob.id, []

    def upload() -> None:
        with app.app_context():
            uploader = db.session.get(User, bob_id)
            uploaded.append(upload_attachment(uploader, group_id, "notes.txt", "text/plain", BytesIO(b"notes")).id)
            db.session.remove()

    with db.engine.connect() as sending:
        under_way = sending.begin()
        sending.execute(NEXT_NUMBERS, {"conversation_id": group_id})  # what a send does first: its row lock
        uploading = threading.Thread(target=upload)
        uploading.start()
        uploading.join(timeout=10)
        finished_while_sending = not uploading.is_alive()
        under_way.rollback()
    uploading.join()
    assert finished_while_sending, "the upload waited for the send's COMMIT"
    assert len(uploaded) == 1
