"""How many SQL statements the hot paths send, through the real socket handlers.

A change that adds a query to sending, history, resync or the conversation list makes one of
these fail: look at the printed statements, then either remove the query or raise the
number here on purpose."""
import pytest

from tests.factories import make_group
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
    # The caller, the membership and its conversation, the client_id lookup, the savepoint
    # around numbering + insert, the read marker, the message again for its event, the commit.
    # (Issue 15 takes this apart: the message need not be read again.) The gateway's adapter
    # (gateway/adapter.py) reads the message's conversation (the message itself the Socket.IO
    # adapter read is kept for it: events.unit_of_work._rows_kept).
    # Issue 9 C: reading the message again loads its mentions and reactions (one query each).
    # Issue 9 D: the Web Push adapter (realtime/web_push_adapter.py) finds the subscriptions of the
    # other members it may notify, in one query.
    assert len(seen) == 15, "\n".join(seen)
    assert seen[-1] == "COMMIT"


def test_a_history_page(chat):
    group_id, sockets = chat
    seen = measured(sockets["bob"], "messages:history", {"conversation_id": group_id})
    # caller, membership, the page's messages, their mentions, their reactions, their senders, commit
    assert len(seen) == 7, "\n".join(seen)


def test_resync(chat):
    group_id, sockets = chat
    seen = measured(sockets["bob"], "sync", {"conversations": [{"conversation_id": group_id, "since": 0}]})
    # caller, then per cursor a savepoint (a fault answers that cursor alone) around its membership,
    # changes, their mentions and reactions, and their senders, then commit
    assert len(seen) == 9, "\n".join(seen)


def test_the_conversation_list(chat):
    _, sockets = chat
    seen = measured(sockets["bob"], "conversations:list", {})
    # caller, memberships, last messages (with their mentions and reactions), unread counts (with
    # unread mentions), conversations, direct titles' users, commit
    assert len(seen) == 9, "\n".join(seen)
