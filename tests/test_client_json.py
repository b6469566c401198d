"""blueprints/client_json.py: the one strict JSON reader, behind REST bodies (400 `invalid_json`)
and Socket.IO packets (an `invalid_payload` ack), for input that made both crash."""
import json

import pytest

from blueprints.client_json import MAX_DEPTH, MalformedJSON, SocketJSON, dumps_bytes, loads
from extensions import db
from tests.helpers import bearer, database_rows, refused

UNREADABLE = [
    "[" * 100_000,
    "{\"a\":" * 50_000,
    '{"body": "x", "deep": ' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}",
    '{"seq": NaN}',
    '{"seq": Infinity}',
    '{"seq": -Infinity}',
    '{"seq": 1e999}',
    '{"seq": -1e400}',
    '{"seq": ' + "9" * 101 + "}",
    '{"seq": ' + "9" * 5000 + "}",
    b'{"body": "\xff\xfe"}',
    '{"body": "utf16"}'.encode("utf-16-le"),  # json.loads itself would guess these three encodings
    '{"body": "utf16"}'.encode("utf-16"),
    '{"body": "utf32"}'.encode("utf-32"),
    b'\xef\xbb\xbf{"body": "after a byte order mark"}',
    b'{"body": "\xed\xa0\x80"}',  # a surrogate encoded as if it were a character (CESU-8): not UTF-8
    '{"body": "unterminated',
    "",
]


@pytest.mark.parametrize("text", UNREADABLE, ids=range(len(UNREADABLE)))
def test_loads_refuses_what_no_client_needs(text):
    with pytest.raises(MalformedJSON):
        loads(text)


def test_loads_reads_the_rest():
    nested = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert loads(nested) is not None
    assert loads('{"body": "\\ud83d\\ude00 \\ud800", "seq": 99999999999999999999, "x": 1e308, "n": null}') == {
        "body": "😀 \ud800", "seq": 99999999999999999999, "x": 1e308, "n": None}


NOT_OBJECTS = [text for text in UNREADABLE if text] + ["[1, 2]", '"text"', "7", "null"]  # no body at all is {}


@pytest.mark.parametrize("text", NOT_OBJECTS, ids=range(len(NOT_OBJECTS)))
def test_a_rest_body_that_is_no_object_is_refused(client, alice, text):
    assert refused(client.post, "/api/direct", headers=bearer(alice), data=text,
                   content_type="application/json") == (400, "invalid_json")


def test_a_rest_body_must_say_it_is_json(client, alice):
    assert refused(client.post, "/api/direct", headers=bearer(alice), data='{"user_id": 1}',
                   content_type="text/plain") == (400, "invalid_json")
    assert refused(client.post, "/api/direct", headers=bearer(alice), data={"user_id": "1"}) == (
        400, "invalid_json")


def test_socketio_keeps_the_event_name_of_an_unreadable_payload():
    assert SocketJSON.loads('["message:send",{"conversation_id":NaN}]')[0] == "message:send"
    assert SocketJSON.loads('["message:send",{"conversation_id":1}]') == ["message:send", {"conversation_id": 1}]
    for engineio_text in ("probe", "", "[" * 1000):  # no event name: Engine.IO falls back to the raw text
        with pytest.raises(ValueError):
            SocketJSON.loads(engineio_text)


UNREADABLE_TEXTS = [text for text in UNREADABLE if isinstance(text, str) and text]


@pytest.mark.parametrize("text", UNREADABLE_TEXTS, ids=range(len(UNREADABLE_TEXTS)))
def test_an_unreadable_socket_payload_is_answered(sockets, text):
    """Sent as raw packets: the test client's own encoder would refuse to write them."""
    socket = sockets["alice"]
    payload = text if text.startswith(("[", "{")) else "{}"
    assert raw_event(socket, f'["message:send",{payload}]') == {
        "ok": False, "error": {"code": "invalid_payload", "message": "The payload must be a JSON object."}}


def raw_event(socket, data: str):
    """Hand the server an EVENT packet (type 2, ack id 1) as it came off the wire; return its ack."""
    before = database_rows()
    with socket.app.app_context():
        socket.socketio.server._handle_eio_message(socket.eio_sid, "21" + data)
    ack, socket.acks = socket.acks, None
    assert database_rows() == before
    return ack["args"][0] if ack else None


# -- what the server writes (dumps_bytes) -----------------------------------------------------------

WRITTEN = [
    {"body": "héllo 你好 😀", "id": 1, "ok": True, "none": None, "ratio": 0.5, "list": [1, "two", {"three": []}]},
    {"z": 1, "a": 2, "m": 3},  # keys stay in their order
    {1: "an integer key", "2": "a string key"},
    [[[[]]]] * 3,
]
# What orjson refuses, json.dumps writes as Flask did: integers beyond 64 bits, a lone surrogate (escaped).
WRITTEN_BY_JSON = [{"big": 2**70, "small": -(2**64)}, {"surrogate": "\ud800 alone"}]


@pytest.mark.parametrize("value", WRITTEN, ids=range(len(WRITTEN)))
def test_what_is_written_is_compact_utf8_json_in_its_order(value):
    expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    assert dumps_bytes(value) == expected
    assert SocketJSON.dumps(value) == expected.decode()


@pytest.mark.parametrize("value", WRITTEN_BY_JSON, ids=range(len(WRITTEN_BY_JSON)))
def test_what_orjson_refuses_is_written_as_json_writes_it(value):
    assert dumps_bytes(value) == json.dumps(value, separators=(",", ":")).encode()


def test_what_json_cannot_write_is_refused_as_before():
    with pytest.raises(TypeError):
        dumps_bytes({"set": {1, 2}})


def test_a_response_is_compact_utf8_in_the_payloads_order(client, alice):
    alice.display_name = "Àlice 你好"
    db.session.commit()
    response = client.get("/api/me", headers=bearer(alice))
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.data.endswith(b"}\n") and b'": ' not in response.data and b'", "' not in response.data
    assert "Àlice 你好".encode() in response.data  # as itself, not \u escapes
    assert response.data.startswith(b'{"ok":true,')  # the payload's order, not sorted


def test_a_debug_response_is_indented_as_flask_writes_it(app, client, alice):
    app.debug = True
    response = client.get("/api/me", headers=bearer(alice))
    assert response.status_code == 200 and b'\n  "' in response.data
