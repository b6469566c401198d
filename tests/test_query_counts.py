"""How many SQL statements the hot paths send, through the real socket handlers.

A change that adds a query to sending, history, resync or the conversation list makes one of
these fail: look at the printed statements, then either remove the query or raise the
number here on purpose."""
import pytest

from actions.accounts import issue_api_token
from actions.direct import open_direct_conversation
from actions.messages import send_message
from extensions import db, socketio
from tests.clients import IsolatedSocketClient
from tests.factories import PASSWORD, make_group
from tests.helpers import events
from tests.query_count import statements


@pytest.fixture
def chat(alice, bob, socket_client_for):
    group_id = make_group(alice, "Team", [bob]).id
    sockets = {"alice": socket_client_for("alice"), "bob": socket_client_for("bob")}
    first = sockets["alice"].emit("message:send", {"conversation_id": group_id, "body": "warm up"}, callback=True)
    assert first["ok"]
    for socket in sockets.values():
        events(socket)
    return group_id, sockets


def measured(socket, event, payload):
    with statements() as seen:
        ack = socket.emit(event, payload, callback=True)
    assert ack["ok"], ack
    return seen


def test_sending_a_message(chat):
    group_id, sockets = chat
    seen = measured(sockets["alice"], "message:send", {"conversation_id": group_id, "body": "hi", "client_id": "c-2"})
    # The caller; the membership with its conversation (one query); the next numbers (the conversation's
    # row locked), the insert (a retry is found by its unique client_id, not by a lookup before each send)
    # and the numbers taken; the read marker; the Web Push adapter's one query for the subscriptions of the
    # other members it may notify (realtime/web_push_adapter.py); the commit. The adapters render the message and its
    # conversation as the send left them (kept until the commit: events.unit_of_work.keep_until_commit),
    # reading nothing again (issue 15; tests/test_send_statements.py guards this on both engines).
    assert len(seen) == 8, "\n".join(seen)
    assert seen[-1] == "COMMIT"


def test_a_history_page(chat):
    group_id, sockets = chat
    seen = measured(sockets["bob"], "messages:history", {"conversation_id": group_id})
    # caller, membership, the page's messages with their senders, files and quotes, their mentions and
    # reactions (one statement; actions.message_rows), commit
    assert len(seen) == 5, "\n".join(seen)


def test_a_history_page_of_replies_reactions_and_mentions_costs_what_one_does(alice, bob, carol, chat):
    """Every open conversation reads a page (issue 15, bench/history.py): its statements do not grow with
    its senders, replies, mentions and reactions."""
    group_id, sockets = chat
    for sender in ("alice", "bob"):
        first = sockets[sender].emit("message:send", {"conversation_id": group_id, "body": "hi @alice @bob"},
                                     callback=True)
        assert first["ok"], first
        reply = sockets[sender].emit("message:send", {"conversation_id": group_id, "body": "again",
                                                      "reply_to": first["message"]["id"]}, callback=True)
        assert reply["ok"], reply
        for reactor in ("alice", "bob"):
            assert sockets[reactor].emit("reaction:add", {"message_id": reply["message"]["id"], "emoji": "👍"},
                                         callback=True)["ok"]
    with statements() as seen:
        page = sockets["bob"].emit("messages:history", {"conversation_id": group_id}, callback=True)
    assert page["ok"], page
    assert [(m["sender"]["username"], m["reply_to"] is not None, len(m["mentions"]), len(m["reactions"]))
            for m in page["messages"][:4]] == [("bob", True, 0, 1), ("bob", False, 1, 0),
                                               ("alice", True, 0, 1), ("alice", False, 1, 0)]
    assert len(seen) == 5, "\n".join(seen)


def test_resync(chat):
    group_id, sockets = chat
    seen = measured(sockets["bob"], "sync", {"conversations": [{"conversation_id": group_id, "since": 0}]})
    # caller, then (apart: a fault falls back to one cursor at a time; a savepoint on PostgreSQL,
    # a snapshot on SQLite) the user's conversations, the changes with their senders, files and
    # quotes, their mentions and reactions (one statement), then commit
    assert len(seen) == 5, "\n".join(seen)


def test_a_resync_of_many_conversations_costs_what_one_does(alice, bob, carol, chat):
    """A reconnect storm resyncs thousands of clients at once (issue 15): every cursor of a sync is
    read together, not one conversation after the other."""
    group_id, sockets = chat
    others = [make_group(bob, f"Other {number}", [alice, carol]).id for number in range(3)]
    for conversation_id in others:
        first = sockets["alice"].emit("message:send", {"conversation_id": conversation_id, "body": "hi @bob"},
                                      callback=True)
        assert first["ok"], first
        reply = sockets["bob"].emit("message:send", {"conversation_id": conversation_id, "body": "hello",
                                                     "reply_to": first["message"]["id"]}, callback=True)
        assert reply["ok"], reply
        assert sockets["alice"].emit("reaction:add", {"message_id": reply["message"]["id"], "emoji": "👍"},
                                     callback=True)["ok"]
    cursors = [{"conversation_id": conversation_id, "since": 0} for conversation_id in [group_id, *others]]
    seen = measured(sockets["bob"], "sync", {"conversations": cursors})
    assert len(seen) == 5, "\n".join(seen)


def test_the_conversation_list(chat):
    _, sockets = chat
    seen = measured(sockets["bob"], "conversations:list", {})
    # caller; the conversations with the member's rows, direct chats' other members and the last
    # messages with their senders, files and quotes (one statement); the last messages' mentions
    # and reactions (one statement); the unread counts (with unread mentions); commit
    assert len(seen) == 5, "\n".join(seen)


def test_a_list_of_many_conversations_costs_what_one_does(alice, bob, carol, chat):
    """Every reconnecting client reads its list (issue 15): its statements do not grow with its
    conversations, their last messages' replies and reactions, or its direct chats."""
    group_id, sockets = chat
    others = [make_group(alice, f"Other {number}", [bob, carol]).id for number in range(3)]
    direct = open_direct_conversation(bob, carol.id).conversation.id
    db.session.commit()
    for number, conversation_id in enumerate([*others, direct]):
        sender = sockets["alice"] if number < 3 else sockets["bob"]
        first = sender.emit("message:send", {"conversation_id": conversation_id, "body": "@bob hi"}, callback=True)
        assert first["ok"], first
        reply = sender.emit("message:send", {"conversation_id": conversation_id, "body": "again",
                                             "reply_to": first["message"]["id"]}, callback=True)
        assert reply["ok"], reply
        assert sockets["bob"].emit("reaction:add", {"message_id": reply["message"]["id"], "emoji": "👍"},
                                   callback=True)["ok"]
    seen = measured(sockets["bob"], "conversations:list", {})
    assert len(seen) == 5, "\n".join(seen)


def test_a_socket_connect(app, alice, bob):
    """A reconnect storm connects thousands of sockets at once (issue 15): a connect reads the token
    with its user and the conversations (its rooms) in one statement, outside any unit of work, and
    writes nothing but the token's last use, at most once a minute, in a unit of its own (the first
    connect below; the second, within the minute, writes and commits nothing)."""
    make_group(alice, "Team", [bob])
    make_group(bob, "Other", [alice])
    token = issue_api_token(alice).token
    for writes in (["UPDATE api_tokens", "COMMIT"], []):
        with statements() as seen:
            socket = IsolatedSocketClient(app, socketio, auth={"token": token})
        assert socket.is_connected()
        socket.disconnect()
        assert [statement.split(" SET")[0] for statement in seen if not statement.startswith("SELECT")] == writes, \
            "\n".join(seen)
        assert len(seen) == 1 + len(writes), "\n".join(seen)


def test_a_page_sockets_connect(app, alice, bob):
    """A page's socket connects with its session cookie (issue 15): the login session with its user and the
    conversations (its rooms) in one statement, outside any unit of work; nothing written or committed
    within the minute of the session's last use (its login, here). The socket is in its rooms."""
    group = make_group(alice, "Team", [bob])
    make_group(bob, "Other", [alice])
    http = app.test_client()
    assert http.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 302
    with statements() as seen:
        socket = IsolatedSocketClient(app, socketio, flask_test_client=http)
    assert socket.is_connected()
    assert len(seen) == 1 and seen[0].startswith("SELECT login_sessions.created_at"), "\n".join(seen)
    send_message(bob, group.id, "to the room")
    assert [name for name, _ in events(socket)] == ["message:new"]
    socket.disconnect()
