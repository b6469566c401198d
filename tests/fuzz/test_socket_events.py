"""Every Socket.IO client event, 1,000 hostile payloads each (tests/fuzz/hostile.py), through the
Flask-SocketIO test client: each gets an error ack with a documented code (never `internal_error`),
nothing is logged as a fault, and the database is as it was.

Payloads the test client could not encode (NaN, nesting 100,000 deep) go in as raw packets, as
they come off the wire.
"""
from __future__ import annotations

import json
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actions.validation import MAX_SAFE_INTEGER
from extensions import socketio
from tests.fuzz.conftest import FUZZ_SETTINGS, World, is_documented
from tests.fuzz.hostile import HOSTILE_VALUE, NOT_OBJECTS, plausible, unreadable_json
from tests.helpers import database_rows

pytestmark = pytest.mark.fuzz

ID = {"type": "integer", "minimum": 1, "maximum": MAX_SAFE_INTEGER}
COUNTER = {"type": "integer", "minimum": 0}
TEXT = {"type": "string"}
CURSORS = {"type": "cursors"}
AUDIENCE = {"enum": ["everyone", "contacts", "nobody"]}
# Each client event's fields, as docs/protocol.md lists them.
EVENTS = {
    "message:send": {"conversation_id": ID, "body": TEXT, "client_id": {"pattern": "^[A-Za-z0-9_.:-]{1,64}$"},
                     "attachment_id": ID, "reply_to": ID},
    "message:edit": {"message_id": ID, "body": TEXT},
    "message:delete": {"message_id": ID},
    "conversation:read": {"conversation_id": ID, "seq": COUNTER},
    "conversation:delivered": {"conversation_id": ID, "seq": COUNTER},
    "conversations:list": {},
    "messages:history": {"conversation_id": ID, "before": ID, "after": COUNTER, "limit": COUNTER},
    "sync": {"conversations": CURSORS, "limit": COUNTER},
    "message:report": {"message_id": ID, "reason": {"enum": ["spam", "abuse", "other"]}, "text": TEXT},
    "contacts:list": {},
    "contact:request": {"username": TEXT, "email": TEXT, "phone": TEXT},
    "contact:accept": {"request_id": ID},
    "contact:decline": {"request_id": ID},
    "contact:remove": {"user_id": ID},
    "block:add": {"user_id": ID},
    "block:remove": {"user_id": ID},
    "privacy:get": {},
    "privacy:update": {"direct_chats": {"enum": ["everyone", "contacts"]}, "last_seen": AUDIENCE,
                       "read_receipts": AUDIENCE},
    "presence:get": {"user_id": ID},
    "presence:query": {"user_ids": {"type": "array"}},
    "conversation:presence": {"conversation_id": ID},
    # `typing` (a boolean, true by default) is left out: every hostile value but `true` is refused, and
    # `true` is what it means; the conversation id carries the attack.
    "typing": {"conversation_id": ID},
    "conversation:receipts": {"conversation_id": ID},
    "messages:around": {"message_id": ID, "limit": COUNTER},
    "reaction:add": {"message_id": ID, "emoji": TEXT},
    "reaction:remove": {"message_id": ID, "emoji": TEXT},
    "messages:search": {"query": TEXT, "conversation_id": ID, "since": TEXT, "until": TEXT, "before_id": ID,
                        "limit": COUNTER},
    # `muted` is left out as `typing` is: booleans are among the hostile values, and a boolean is what it takes.
    "conversation:mute": {"conversation_id": ID},
}


def test_every_client_event_is_fuzzed(app):
    handled = set(socketio.server.handlers["/"]) - {"connect", "disconnect", "*"}  # "*": an unknown event
    assert handled == set(EVENTS)


def cursors(world: World, hostile: bool) -> st.SearchStrategy:
    return _cursors(tuple(world.ids["conversation_id"]), hostile)


@cache  # built once, drawn from for every case: a new strategy object is validated again at its first draw
def _cursors(conversation_ids: tuple[int, ...], hostile: bool) -> st.SearchStrategy:
    good = st.fixed_dictionaries({"conversation_id": st.sampled_from(conversation_ids),
                                  "since": st.integers(0, 5)})
    if not hostile:
        return st.lists(good, max_size=3)
    bad = st.one_of(
        st.fixed_dictionaries({"conversation_id": HOSTILE_VALUE, "since": st.integers(0, 5)}),
        st.fixed_dictionaries({"conversation_id": st.sampled_from(conversation_ids), "since": HOSTILE_VALUE}),
        HOSTILE_VALUE)
    return st.one_of(HOSTILE_VALUE, st.tuples(st.lists(good, max_size=2), bad).map(lambda pair: pair[0] + [pair[1]]))


def value(schema: dict, name: str, world: World, hostile: bool) -> st.SearchStrategy:
    if schema is CURSORS:
        return cursors(world, hostile)
    return HOSTILE_VALUE if hostile else plausible(schema, world.ids.get(name, []))


@st.composite
def hostile_payload(draw, event: str, world: World) -> tuple[str, object]:
    """("emit", payload) or ("raw", packet text): at least one part of it is hostile."""
    fields = EVENTS[event]
    attack = draw(st.sampled_from(["not_object", "unreadable"] + ["fields"] * 3 * bool(fields)))
    if attack == "not_object":
        return "emit", draw(NOT_OBJECTS)
    if attack == "unreadable":
        sample = {name: draw(value(schema, name, world, hostile=False)) for name, schema in fields.items()}
        return "raw", f'["{event}",{draw(unreadable_json(sample or None))}]'
    hostile = draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, unique=True))
    payload = {name: draw(value(fields[name], name, world, hostile=True)) for name in hostile}
    for name in set(fields) - set(hostile):
        if draw(st.booleans()):
            payload[name] = draw(value(fields[name], name, world, hostile=False))
    return "emit", payload


def ack_of(socket, how: str, event: str, payload) -> dict:
    if how == "emit":
        return socket.emit(event, payload, callback=True)
    with socket.app.app_context():  # as IsolatedSocketClient.emit does; "21": an EVENT asking for ack 1
        socket.socketio.server._handle_eio_message(socket.eio_sid, "21" + payload)
    ack, socket.acks = socket.acks, None
    assert ack is not None, "no ack"
    return ack["args"][0]


@pytest.mark.parametrize("event", sorted(EVENTS))
def test_an_event_refuses_hostile_payloads(app, world, faults, socket_client_for, event):
    refuses_hostile_payloads(world, faults, socket_client_for, event, FUZZ_SETTINGS)


def refuses_hostile_payloads(world, faults, socket_client_for, event, fuzz_settings) -> None:
    """`fuzz_settings.max_examples` hostile payloads of one event (tests/fuzz/test_socket_events_postgresql.py
    runs fewer on PostgreSQL)."""
    socket = socket_client_for("alice")
    socket.get_received()
    before = database_rows()
    cases = []

    @fuzz_settings
    @given(attempt=hostile_payload(event, world))
    def attack(attempt):
        faults.clear()  # each case answers for its own log
        how, payload = attempt
        ack = ack_of(socket, how, event, payload)
        assert ack["ok"] is False, (json.dumps(payload)[:300], ack)
        assert is_documented(ack["error"]["code"]) and ack["error"]["code"] != "internal_error", ack
        assert not faults, [record.getMessage() for record in faults]
        cases.append(how)

    attack()
    assert len(cases) >= fuzz_settings.max_examples
    assert socket.is_connected() and socket.get_received() == []
    assert database_rows() == before
