"""blueprints/chat/events.py: who may connect, and every client event's acks (good and bad payloads)
and the events it makes others receive."""
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

import blueprints.chat.events
from actions.accounts import issue_api_token
from actions.conversations import list_conversations
from actions.errors import unavailable
from actions.messages import edit_message, send_message
from actions.sessions import revoke_own_token
from extensions import db, socketio
from models import Message
from models.time import utcnow
from payloads import message_payload, summary_payload
from realtime import token_room
from realtime.reconcile import READINGS
from tests.clients import IsolatedSocketClient
from tests.factories import make_group
from tests.helpers import database_rows, events, wait_for_events
from tests.query_count import statements

CLIENT_EVENTS = ("message:send", "message:edit", "message:delete", "conversation:read", "conversations:list",
                 "messages:history", "sync")


def failure(code: str, message: str) -> dict:
    return {"ok": False, "error": {"code": code, "message": message}}


@pytest.fixture
def token_socket(app):
    """Connect a test socket with `auth={"token": ...}`, disconnected at the end."""
    made = []

    def connect(auth):
        socket = IsolatedSocketClient(app, socketio, auth=auth)
        made.append(socket)
        return socket

    yield connect
    for socket in made:
        if socket.is_connected():
            socket.disconnect()


def call(socket, event: str, *payload):
    """Emit a client event and return its ack, checking that a refusal changed nothing."""
    before = database_rows()
    ack = socket.emit(event, *payload, callback=True)
    if ack.get("ok") is False:
        assert database_rows() == before
    return ack


# connect

def test_connect_is_refused_without_login(app, alice, token_socket):
    assert token_socket(None).is_connected() is False


@pytest.mark.parametrize("token", ["sbt_not-a-token", "nonsense", 42, ["sbt_x"], "sbt_\ud800", "sbt_\x00"])
def test_connect_is_refused_with_a_bad_token(alice, token_socket, token):
    assert token_socket({"token": token}).is_connected() is False


def test_connect_is_refused_with_a_deactivated_users_token(alice, token_socket):
    token = issue_api_token(alice).token
    alice.active = False
    db.session.commit()
    assert token_socket({"token": token}).is_connected() is False


@pytest.mark.parametrize("change", ["revoked", "expired", "temporary password", "unconfirmed"])
def test_connect_is_refused_with_a_token_that_no_longer_opens(alice, token_socket, change):
    """The connect reads the token and its user as one row (actions.accounts.live_token_holder),
    with the same rules as every other use of a token."""
    issued = issue_api_token(alice)
    assert token_socket({"token": issued.token}).is_connected()  # the same token opened a minute ago
    if change == "revoked":
        issued.record.revoked_at = utcnow()
    elif change == "expired":
        issued.record.expires_at = utcnow() - timedelta(seconds=1)
    elif change == "temporary password":
        alice.must_change_password = True
    else:
        alice.confirmed_at = None
    db.session.commit()
    assert token_socket({"token": issued.token}).is_connected() is False


def test_connect_with_a_session_cookie_joins_the_users_rooms(alice, bob, group, socket_client_for):
    socket = socket_client_for("bob")
    assert socket.is_connected()
    db.session.expire_all()
    assert bob.last_seen_at is None  # a connect writes nothing (the presence tracker's batch does)
    send_message(alice, group.id, "hi")
    assert [name for name, _ in events(socket)] == ["message:new"]


def test_connect_with_a_token_joins_the_users_rooms(alice, bob, group, token_socket):
    socket = token_socket({"token": issue_api_token(bob).token})
    assert socket.is_connected()
    send_message(alice, group.id, "hi")
    assert [name for name, _ in events(socket)] == ["message:new"]
    assert call(socket, "conversations:list")["conversations"][0]["membership"]["user_id"] == bob.id


def test_a_room_change_applied_while_a_connect_reads_the_rooms_makes_it_read_them_again(
        app, alice, bob, group, token_socket, monkeypatch):
    """A member removed while their socket connects: the removal's room command aims at their user's
    room, which the socket is not in yet; the connect sees the count of applied room commands move
    and reads again, so the socket never joins the group's room (on PostgreSQL a read lets other
    greenlets run; here the removal is made during the first reading)."""
    from actions.groups import remove_member

    issued = issue_api_token(bob)
    issued.record.last_used_at = utcnow()  # used a moment ago: the connect writes nothing (no SQLite lock)
    db.session.commit()
    read = blueprints.chat.events.socket_opener
    readings = []

    def removed_while_read(auth):
        opener = read(auth)
        readings.append(opener.readable_conversation_ids)
        if len(readings) == 1:  # removed meanwhile, in a unit of its own: its room command applied at once
            with app.app_context():
                remove_member(db.session.get(type(alice), alice.id), group.id, bob.id)
        return opener

    monkeypatch.setattr(blueprints.chat.events, "socket_opener", removed_while_read)
    socket = token_socket({"token": issued.token})
    assert socket.is_connected() and readings == [(group.id,), ()]
    send_message(alice, group.id, "after the removal")
    assert events(socket) == []


def test_a_connect_that_never_reads_the_rooms_unchanged_is_refused_retryable(app, bob, token_socket, monkeypatch):
    read, readings, answers = blueprints.chat.events.socket_opener, [], []

    def always_changing(auth):
        readings.append(auth)
        opener = read(auth)  # a room change aimed at the socket's token, every time
        app.extensions["socketio_delivery"].room_changes.applied(token_room(opener.credential))
        return opener

    def recorded_unavailable():
        answers.append(unavailable())
        return answers[-1]

    monkeypatch.setattr(blueprints.chat.events, "socket_opener", always_changing)
    monkeypatch.setattr(blueprints.chat.events, "unavailable", recorded_unavailable)
    assert token_socket({"token": issue_api_token(bob).token}).is_connected() is False
    assert len(readings) == READINGS and [answer.code for answer in answers] == ["unavailable"]
    assert bob.id not in app.extensions["presence"].online_user_ids()  # online for a moment, then not


def test_a_cut_applied_before_the_connect_returns_refuses_it(app, bob, token_socket, monkeypatch):
    """Until its connect handler returns, python-socketio does not disconnect a socket (it is still
    connecting): a token revoked once the rooms are joined (here while the user is made online, a call
    to Redis that lets other greenlets run) is found by reading again, and the connect refused."""
    issued = issue_api_token(bob)
    issued.record.last_used_at = utcnow()  # used a moment ago: the connect writes nothing (no SQLite lock)
    db.session.commit()
    store = app.extensions["presence"]

    class RevokingPresence:
        def connected(self, user_id, sid):
            store.connected(user_id, sid)
            with app.app_context():  # a unit of its own: its disconnect command applied at once
                revoke_own_token(db.session.get(type(bob), bob.id), issued.record.id)

        def disconnected(self, user_id, sid):
            store.disconnected(user_id, sid)

    monkeypatch.setattr(blueprints.chat.events, "presence", RevokingPresence())
    assert token_socket({"token": issued.token}).is_connected() is False
    assert bob.id not in store.online_user_ids()


def test_a_client_that_leaves_while_its_connect_runs_leaves_no_socket_and_nobody_online(app, bob, token_socket,
                                                                                        monkeypatch):
    """python-socketio lets a client that drops during the connect handler be (it is not connected yet)
    and would then make it connected all the same: nobody would ever say its goodbye."""
    store, server, left = app.extensions["presence"], socketio.server, []

    class LeavingPresence:
        def connected(self, user_id, sid):
            store.connected(user_id, sid)
            left.append(sid)
            server._handle_eio_disconnect(server.manager.eio_sid_from_sid(sid, "/"), "transport close")

        def disconnected(self, user_id, sid):
            store.disconnected(user_id, sid)

    monkeypatch.setattr(blueprints.chat.events, "presence", LeavingPresence())
    token_socket({"token": issue_api_token(bob).token})
    assert left and not server.manager.is_connected(left[0], "/")
    assert bob.id not in store.online_user_ids()


def test_a_connect_reading_when_the_bus_comes_back_reads_again(app, bob, token_socket, monkeypatch):
    """What other instances published during the outage never came: a connect that read before the
    bus was back may have read before a lost change, and the correction skips sockets still connecting."""
    read, readings = blueprints.chat.events.socket_opener, []
    delivery = app.extensions["socketio_delivery"]

    def bus_back_while_read(auth):
        readings.append(auth)
        if len(readings) == 1:
            delivery.bus_status_changed("degraded")
            delivery.bus_status_changed("ok")
        return read(auth)

    monkeypatch.setattr(blueprints.chat.events, "socket_opener", bus_back_while_read)
    assert token_socket({"token": issue_api_token(bob).token}).is_connected()
    assert len(readings) == 2


def test_a_browser_logged_out_while_its_socket_connects_is_refused(app, alice, bob, group, socket_client_for,
                                                                    monkeypatch):
    """Each reading reads the login session again (not Flask-Login's user of the context)."""
    from actions.sessions import end_session_unchecked
    from models import LoginSession

    read, readings = blueprints.chat.events.socket_opener, []

    def logged_out_while_read(auth):
        opener = read(auth)
        readings.append(opener)
        if len(readings) == 1:
            with app.app_context():
                end_session_unchecked(db.session.get(LoginSession, opener.credential), "logout")
                db.session.commit()
        return opener

    monkeypatch.setattr(blueprints.chat.events, "socket_opener", logged_out_while_read)
    assert socket_client_for("bob").is_connected() is False
    assert readings[0] is not None and readings[1:] == [None]


def test_a_failed_login_gives_no_socket(alice, app):
    http = app.test_client()
    http.post("/login", data={"username": "alice", "password": "wrong password"})
    socket = IsolatedSocketClient(app, socketio, flask_test_client=http)
    assert socket.is_connected() is False


def test_a_connect_writes_nothing(app, alice, token_socket):
    """The connect path is reads only (issue 15): no last-seen commit per connect; the token's
    last use is written at most once a minute (its first connect here), the presence tracker's
    batch writes last_seen_at when the user comes online (tests/presence)."""
    token = issue_api_token(alice).token
    token_socket({"token": token}).disconnect()  # the token's first use: last_used_at written once
    with statements() as seen:
        socket = token_socket({"token": token})
    assert socket.is_connected()
    verbs = [statement.split(None, 1)[0].upper() for statement in seen]
    assert [verb for verb in verbs if verb in ("INSERT", "UPDATE", "DELETE")] == []
    # The token and its user in one query (no lazy load of the user after it).
    (lookup,) = [statement for statement in seen if "FROM api_tokens" in statement]
    assert "JOIN users" in lookup
    assert not any(statement.startswith("SELECT users.") and "FROM users WHERE users.id = ?" in statement
                   for statement in seen), seen


def test_disconnect_records_last_seen_in_the_presence_batch(app, alice, socket_client_for):
    """The disconnect writes nothing (a reconnect storm drops thousands of sockets at once, issue 15):
    the presence tracker's next batch records everyone who left as last seen, in one UPDATE."""
    socket = socket_client_for("alice")
    alice.last_seen_at = None
    db.session.commit()
    with statements() as seen:
        socket.disconnect()
    assert [statement for statement in seen if statement.split(None, 1)[0] in ("INSERT", "UPDATE", "DELETE")] == []
    db.session.expire_all()
    assert alice.last_seen_at is None
    with statements() as seen:
        app.extensions["presence"].tracker.flush()
    assert len([statement for statement in seen if statement.startswith("UPDATE users SET last_seen_at")]) == 1
    db.session.expire_all()
    assert alice.last_seen_at is not None


# payloads every event refuses

@pytest.mark.parametrize("event", CLIENT_EVENTS)
def test_every_event_refuses_a_payload_that_is_not_an_object(sockets, event):
    for payload in ("text", [1, 2], 7, True):
        assert call(sockets["alice"], event, payload) == failure(
            "invalid_payload", "The payload must be a JSON object."), payload


@pytest.mark.parametrize("payload", [(), ({},), ({"conversation_id": 1},), ("text", 2)])
def test_an_event_the_server_does_not_have_is_answered_unknown_event(sockets, payload):
    assert call(sockets["alice"], "message:sned", *payload) == failure("unknown_event", "The server has no such event.")
    # and the socket goes on
    assert call(sockets["alice"], "conversations:list", {})["ok"] is True


TOO_LARGE = "conversation_id must be at most 9007199254740991."


@pytest.mark.parametrize("payload, code, message", [
    ({"conversation_id": 2**64, "body": "hi"}, "invalid_conversation_id", TOO_LARGE),
    ({"conversation_id": 1e308, "body": "hi"}, "invalid_conversation_id", TOO_LARGE),
    ({"conversation_id": 0, "body": "hi"}, "invalid_conversation_id", "conversation_id must be at least 1."),
    ({"conversation_id": float("inf"), "body": "hi"}, "invalid_payload", "The payload must be a JSON object."),
    ({"conversation_id": float("nan"), "body": "hi"}, "invalid_payload", "The payload must be a JSON object."),
    ({"conversation_id": "GROUP", "body": "\ud800"}, "invalid_body",
     "body must not contain control characters or unpaired surrogates (newlines and tabs are allowed)."),
    ({"conversation_id": "GROUP", "body": "a\x00b"}, "invalid_body",
     "body must not contain control characters or unpaired surrogates (newlines and tabs are allowed)."),
])
def test_what_crashed_sends_is_refused(group, sockets, payload, code, message):
    payload = {key: group.id if value == "GROUP" else value for key, value in payload.items()}
    assert call(sockets["alice"], "message:send", payload) == failure(code, message)


def test_a_deactivated_users_next_event_is_refused_and_the_socket_cut(alice, group, sockets):
    socket = sockets["alice"]
    alice.active = False
    db.session.commit()
    # Not through call(): the cut socket's disconnect records last_seen_at, a change by design.
    ack = socket.emit("message:send", {"conversation_id": group.id, "body": "still here?"}, callback=True)
    assert ack == failure("unauthorized", "Log in again.")
    assert socket.is_connected() is False
    assert db.session.execute(db.select(Message)).all() == []


# message:send

def test_send(alice, bob, group, sockets):
    ack = call(sockets["alice"], "message:send", {"conversation_id": group.id, "body": "hello", "client_id": "c-1"})
    stored = db.session.execute(db.select(Message)).scalar_one()
    assert ack == {"ok": True, "message": message_payload(stored), "duplicate": False}
    assert (ack["message"]["seq"], ack["message"]["body"], ack["message"]["sender"]["id"]) == (1, "hello", alice.id)
    # The event goes out after the ack, to every member's socket, the sender's too.
    assert wait_for_events(sockets["bob"], 1) == [("message:new", {"message": ack["message"]})]
    # The sender's tabs also learn that sending marked the conversation read.
    assert wait_for_events(sockets["alice"], 2) == [("message:new", {"message": ack["message"]}), (
        "conversation:read", {"conversation_id": group.id, "last_read_seq": 1})]
    retry = call(sockets["alice"], "message:send", {"conversation_id": group.id, "body": "hello", "client_id": "c-1"})
    assert retry == {"ok": True, "message": ack["message"], "duplicate": True}
    assert events(sockets["carol"]) == []


SEND_REFUSALS = [
    (None, "invalid_conversation_id", "conversation_id is required."),
    ({}, "invalid_conversation_id", "conversation_id is required."),
    ({"body": "hi"}, "invalid_conversation_id", "conversation_id is required."),
    ({"conversation_id": "one", "body": "hi"}, "invalid_conversation_id", "conversation_id must be an integer."),
    ({"conversation_id": 1.5, "body": "hi"}, "invalid_conversation_id", "conversation_id must be an integer."),
    ({"conversation_id": True, "body": "hi"}, "invalid_conversation_id", "conversation_id must be an integer."),
    ({"conversation_id": 1}, "invalid_body", "body must not be empty."),
    ({"conversation_id": 1, "body": ["hi"]}, "invalid_body", "body must be a string."),
    ({"conversation_id": 1, "body": "x" * 4001}, "invalid_body", "body must be at most 4000 characters."),
    ({"conversation_id": 1, "body": "hi", "client_id": {"id": 1}}, "invalid_client_id",
     "client_id is 1 to 64 characters: letters, digits, '_.:-'."),
    ({"conversation_id": 1, "body": "hi", "attachment_id": "file"}, "invalid_attachment_id",
     "attachment_id must be an integer."),
    ({"conversation_id": 9999, "body": "hi"}, "conversation_not_found", "No such conversation."),
]


def test_send_refusals(group, sockets):
    for payload, code, message in SEND_REFUSALS:
        arguments = () if payload is None else (payload,)
        assert call(sockets["alice"], "message:send", *arguments) == failure(code, message), payload
    assert events(sockets["bob"]) == []


def test_send_refused_to_a_non_member(group, sockets):
    ack = call(sockets["carol"], "message:send", {"conversation_id": group.id, "body": "let me in"})
    assert ack == failure("not_a_member", "You are not a member of this conversation.")
    assert events(sockets["alice"]) == []


# message:edit and message:delete

def test_edit_and_delete(alice, group, sockets):
    message = send_message(alice, group.id, "helo").message
    events(sockets["bob"])
    ack = call(sockets["alice"], "message:edit", {"message_id": message.id, "body": "hello"})
    assert (ack["ok"], ack["message"]["body"], ack["message"]["revision"]) == (True, "hello", 2)
    assert wait_for_events(sockets["bob"], 1) == [("message:updated", {"message": ack["message"]})]
    ack = call(sockets["alice"], "message:delete", {"message_id": message.id})
    assert (ack["ok"], ack["message"]["removed_by"], ack["message"]["body"], ack["message"]["revision"]) == (
        True, "author", "", 3)
    assert wait_for_events(sockets["bob"], 1) == [("message:updated", {"message": ack["message"]})]


EDIT_AND_DELETE_REFUSALS = [
    ("message:edit", {"body": "x"}, "invalid_message_id", "message_id is required."),
    ("message:edit", {"message_id": "1", "body": ""}, "invalid_body", "body must not be empty."),
    ("message:edit", {"message_id": [1], "body": "x"}, "invalid_message_id", "message_id must be an integer."),
    ("message:edit", {"message_id": 9999, "body": "x"}, "message_not_found", "No such message."),
    ("message:delete", {}, "invalid_message_id", "message_id is required."),
    ("message:delete", {"message_id": "first"}, "invalid_message_id", "message_id must be an integer."),
    ("message:delete", {"message_id": 9999}, "message_not_found", "No such message."),
]


def test_edit_and_delete_refusals(alice, group, sockets):
    send_message(alice, group.id, "original")
    events(sockets["bob"])
    for event, payload, code, message in EDIT_AND_DELETE_REFUSALS:
        assert call(sockets["alice"], event, payload) == failure(code, message), (event, payload)
    assert events(sockets["bob"]) == []


def test_only_the_author_edits_or_deletes(alice, group, sockets):
    message = send_message(alice, group.id, "mine").message
    refusal = failure("not_the_author", "Only the author can change this message.")
    assert call(sockets["bob"], "message:edit", {"message_id": message.id, "body": "yours"}) == refusal
    assert call(sockets["bob"], "message:delete", {"message_id": message.id}) == refusal
    assert call(sockets["carol"], "message:delete", {"message_id": message.id}) == failure(
        "not_a_member", "You are not a member of this conversation.")


# conversation:read

def test_read_tells_all_the_users_sockets(alice, bob, group, sockets, socket_client_for):
    for number in range(3):
        send_message(alice, group.id, f"m{number}")
    bob_tab = socket_client_for("bob")
    for socket in (bob_tab, *sockets.values()):
        events(socket)
    assert call(sockets["bob"], "conversation:read", {"conversation_id": group.id, "seq": 2}) == {
        "ok": True, "last_read_seq": 2}
    read = ("conversation:read", {"conversation_id": group.id, "last_read_seq": 2})
    assert wait_for_events(bob_tab, 1) == [read]
    assert wait_for_events(sockets["bob"], 1) == [read]
    assert call(sockets["bob"], "conversation:read", {"conversation_id": group.id, "seq": 1}) == {
        "ok": True, "last_read_seq": 2}
    assert call(sockets["bob"], "conversation:read", {"conversation_id": group.id, "seq": 99}) == {
        "ok": True, "last_read_seq": 3}
    # the author of the messages read hears of each move (docs/protocol.md, receipts); nobody else does
    receipt = {"conversation_id": group.id, "user_id": bob.id}
    assert wait_for_events(sockets["alice"], 2) == [
        ("conversation:receipt", {**receipt, "last_delivered_seq": 2, "last_read_seq": 2}),
        ("conversation:receipt", {**receipt, "last_delivered_seq": 3, "last_read_seq": 3})]
    assert events(sockets["carol"]) == []


READ_REFUSALS = [
    ({"seq": 1}, "invalid_conversation_id", "conversation_id is required."),
    ({"conversation_id": "x", "seq": 1}, "invalid_conversation_id", "conversation_id must be an integer."),
    ({"conversation_id": 1}, "invalid_seq", "seq is required."),
    ({"conversation_id": 1, "seq": -1}, "invalid_seq", "seq must be at least 0."),
    ({"conversation_id": 1, "seq": "last"}, "invalid_seq", "seq must be an integer."),
    ({"conversation_id": 9999, "seq": 1}, "conversation_not_found", "No such conversation."),
]


def test_read_refusals(group, sockets):
    for payload, code, message in READ_REFUSALS:
        assert call(sockets["bob"], "conversation:read", payload) == failure(code, message), payload


# conversations:list

def test_conversations_list(alice, bob, group, sockets):
    send_message(alice, group.id, "hi")
    ack = call(sockets["bob"], "conversations:list")
    assert ack == {"ok": True, "conversations": [summary_payload(s) for s in list_conversations(bob)]}
    assert [(c["id"], c["unread_count"], c["last_message"]["body"]) for c in ack["conversations"]] == [
        (group.id, 1, "hi")]
    assert call(sockets["carol"], "conversations:list", {}) == {"ok": True, "conversations": []}


# messages:history

def test_history(alice, group, sockets):
    for number in range(5):
        send_message(alice, group.id, f"m{number}")
    ack = call(sockets["bob"], "messages:history", {"conversation_id": group.id, "limit": 2})
    assert ([m["seq"] for m in ack["messages"]], ack["has_more"], ack["ok"]) == ([5, 4], True, True)
    ack = call(sockets["bob"], "messages:history", {"conversation_id": group.id, "before": 4, "limit": 10})
    assert ([m["seq"] for m in ack["messages"]], ack["has_more"]) == ([3, 2, 1], False)
    ack = call(sockets["bob"], "messages:history", {"conversation_id": group.id, "after": 3})
    assert ([m["seq"] for m in ack["messages"]], ack["has_more"]) == ([4, 5], False)


HISTORY_REFUSALS = [
    ({}, "invalid_conversation_id", "conversation_id is required."),
    ({"conversation_id": {}}, "invalid_conversation_id", "conversation_id must be an integer."),
    ({"conversation_id": 1, "before": 0}, "invalid_before", "before must be at least 1."),
    ({"conversation_id": 1, "after": "x"}, "invalid_after", "after must be an integer."),
    ({"conversation_id": 1, "limit": 101}, "invalid_limit", "limit must be at most 100."),
    ({"conversation_id": 1, "limit": 0}, "invalid_limit", "limit must be at least 1."),
]


def test_history_refusals(group, sockets):
    for payload, code, message in HISTORY_REFUSALS:
        assert call(sockets["bob"], "messages:history", payload) == failure(code, message), payload
    assert call(sockets["carol"], "messages:history", {"conversation_id": group.id}) == failure(
        "not_a_member", "You are not a member of this conversation.")


# sync

def test_sync_answers_each_conversation_from_its_revision(alice, bob, group, sockets):
    other = make_group(bob, "Other", [alice])
    first = send_message(alice, group.id, "one").message
    send_message(alice, group.id, "two")
    edit_message(alice, first.id, "one!")
    send_message(bob, other.id, "elsewhere")
    ack = call(sockets["bob"], "sync", {"conversations": [
        {"conversation_id": group.id, "since": 1}, {"conversation_id": other.id, "since": 1},
        {"conversation_id": 9999, "since": 0}]})
    assert ack["ok"] is True
    team, elsewhere, lost = ack["conversations"]
    assert (team["conversation_id"], team["revision"], team["has_more"],
            [(m["seq"], m["body"]) for m in team["messages"]]) == (group.id, 3, False, [(2, "two"), (1, "one!")])
    assert elsewhere == {"conversation_id": other.id, "revision": 1, "has_more": False, "messages": []}
    assert lost == {"conversation_id": 9999, "error": {"code": "conversation_not_found",
                                                       "message": "No such conversation."}}
    ack = call(sockets["bob"], "sync", {"conversations": [{"conversation_id": group.id, "since": 0}], "limit": 1})
    assert (ack["conversations"][0]["revision"], ack["conversations"][0]["has_more"]) == (2, True)
    assert call(sockets["carol"], "sync", {"conversations": [{"conversation_id": group.id, "since": 0}]}) == {
        "ok": True, "conversations": [{"conversation_id": group.id, "error": {
            "code": "not_a_member", "message": "You are not a member of this conversation."}}]}
    assert call(sockets["bob"], "sync", {"conversations": []}) == {"ok": True, "conversations": []}


CURSORS_MESSAGE = "conversations must be a list of at most 500 cursors."


SYNC_REFUSALS = [
    ({}, "invalid_conversations", CURSORS_MESSAGE),
    ({"conversations": {"conversation_id": 1, "since": 0}}, "invalid_conversations", CURSORS_MESSAGE),
    ({"conversations": [{"conversation_id": 1, "since": 0}] * 501}, "invalid_conversations", CURSORS_MESSAGE),
    ({"conversations": [1]}, "invalid_conversations", "Each cursor is {conversation_id, since}."),
    ({"conversations": [{"since": 0}]}, "invalid_conversation_id", "conversation_id is required."),
    ({"conversations": [{"conversation_id": "a", "since": 0}]}, "invalid_conversation_id",
     "conversation_id must be an integer."),
    ({"conversations": [{"conversation_id": 1}]}, "invalid_since", "since is required."),
    ({"conversations": [{"conversation_id": 1, "since": -1}]}, "invalid_since", "since must be at least 0."),
    ({"conversations": [], "limit": 501}, "invalid_limit", "limit must be at most 500."),
    ({"conversations": [{"conversation_id": 1, "since": 0}, {"conversation_id": 1, "since": 5}]},
     "invalid_conversations", "Each conversation may have one cursor only."),
]


def test_sync_refusals(group, sockets):
    for payload, code, message in SYNC_REFUSALS:
        assert call(sockets["bob"], "sync", payload) == failure(code, message), payload


def test_one_sync_answers_at_most_its_share_of_messages_per_cursor(alice, bob, sockets, monkeypatch):
    # One event must not hold the worker for long: 1,000 messages in all at most (here 6, so 3 a cursor
    # of two), the rest with has_more, asked for again as every client does.
    monkeypatch.setattr(blueprints.chat.events, "SYNC_MESSAGES_PER_ANSWER", 6)
    groups = [make_group(alice, name, [bob]) for name in ("One", "Two")]
    for group in groups:
        for number in range(5):
            send_message(alice, group.id, f"{group.name} {number}")
    cursors = [{"conversation_id": group.id, "since": 0} for group in groups]
    ack = call(sockets["bob"], "sync", {"conversations": cursors, "limit": 500})
    assert [(answer["revision"], answer["has_more"], len(answer["messages"])) for answer in ack["conversations"]] == [
        (3, True, 3), (3, True, 3)]
    ack = call(sockets["bob"], "sync", {"conversations": [{**cursor, "since": 3} for cursor in cursors], "limit": 1})
    assert [(answer["revision"], answer["has_more"]) for answer in ack["conversations"]] == [(4, True), (4, True)]
    one = call(sockets["bob"], "sync", {"conversations": cursors[:1]})  # a single cursor: its own limit, 100
    assert (one["conversations"][0]["has_more"], len(one["conversations"][0]["messages"])) == (False, 5)


def test_one_failing_cursor_answers_alone(alice, bob, group, sockets, monkeypatch, caplog):
    other = make_group(bob, "Other", [alice])
    send_message(alice, group.id, "one")
    changes_since = blueprints.chat.events.changes_since

    def failing_for_other(user, conversation_id, since, limit):
        if conversation_id == other.id:
            raise OperationalError("SELECT …", {}, Exception("the database went away"))
        return changes_since(user, conversation_id, since, limit=limit)

    def failing_together(user, cursors, limit):
        raise OperationalError("SELECT …", {}, Exception("the database went away"))

    # The cursors are read together first; that fault makes them answer one by one, each on its own.
    monkeypatch.setattr(blueprints.chat.events, "changes_since_each", failing_together)
    monkeypatch.setattr(blueprints.chat.events, "changes_since", failing_for_other)
    ack = call(sockets["bob"], "sync", {"conversations": [
        {"conversation_id": other.id, "since": 0}, {"conversation_id": group.id, "since": 0}]})
    assert ack["ok"] is True
    failed, answered = ack["conversations"]
    assert failed == {"conversation_id": other.id, "error": {  # the database unreachable: retryable
        "code": "unavailable", "message": "The service is briefly unavailable; nothing was changed. Try again."}}
    assert (answered["conversation_id"], [m["body"] for m in answered["messages"]]) == (group.id, ["one"])
    assert "the database went away" in caplog.text


# faults

def test_a_database_fault_while_resolving_the_caller_still_answers_the_ack(group, sockets, monkeypatch):
    def pool_exhausted(*args, **kwargs):
        raise OperationalError("SELECT users …", {}, Exception("QueuePool limit reached"))

    socket = sockets["bob"]
    monkeypatch.setattr(db.session, "get", pool_exhausted)  # socket_principal reads the user with it
    ack = socket.emit("message:send", {"conversation_id": group.id, "body": "hi"}, callback=True)
    monkeypatch.undo()
    assert ack == failure("unavailable", "The service is briefly unavailable; nothing was changed. Try again.")
    assert socket.is_connected()
    assert db.session.execute(db.select(Message)).all() == []
