"""gateway.packets against the packet layout of docs/gateway.md, as the test client writes it."""
import subprocess
import sys

import pytest

from gateway.packets import HEADER_SIZE, PUSH, Packet, PacketError, decode, encode
from tests.gateway.client import packet, parse

MAX = 1024


def test_encode_writes_the_documented_layout():
    data = encode(PUSH, {"type": "error"})
    assert data[:4] == bytes.fromhex("12345678") and data[4:7] == bytes([1, 1, 0xF6])
    assert int.from_bytes(data[7:11], "big") == len(data) - HEADER_SIZE == len(b'{"type":"error"}')
    assert parse(data) == (-10, {"type": "error"})


def test_the_example_frames_of_the_docs_decode():
    """docs/gateway.md, Example frames: a login and a ping."""
    login = bytes.fromhex("12 34 56 78 01 01 01 00 00 00 20 7b 22 75 73 65 72 49 64 22 3a 22 37 22 2c 22 74 6f 6b 65 6e"
                          " 22 3a 22 73 62 74 5f 61 62 63 22 7d")
    assert decode(login, MAX) == Packet(1, {"userId": "7", "token": "sbt_abc"})
    assert decode(bytes.fromhex("12 34 56 78 01 01 11 00 00 00 02 7b 7d"), MAX) == Packet(17, {})
    assert encode(18, {"success": True, "errorMsg": ""}).hex(" ") == (
        "12 34 56 78 01 01 12 00 00 00 1e 7b 22 73 75 63 63 65 73 73 22 3a 74 72 75 65 2c 22 65 72 72 6f 72 4d 73"
        " 67 22 3a 22 22 7d")


def test_text_and_ids_round_trip_as_utf8():
    body = {"content": "été 你好 🙂", "chatId": "12"}
    assert decode(encode(3, body), MAX) == Packet(3, body)


@pytest.mark.parametrize(("data", "code", "command"), [
    (b"", "truncated_header", None),
    (packet(1, {})[:10], "truncated_header", None),
    (packet(1, {}, magic=0x12345679), "bad_magic", None),
    (packet(1, {}, version=2), "bad_version", None),
    (packet(1, {}, serializer=2), "bad_serializer", None),
    (packet(5, {}), "unknown_command", None),
    (packet(4, {}), "unknown_command", None),  # a response, not a request
    (packet(-10, {}), "unknown_command", None),
    (packet(1, {}, length=MAX + 1), "packet_too_large", 1),
    (packet(1, {"a": 1}, length=3), "bad_length", 1),  # more bytes than the header says
    (packet(1, {"a": 1}, length=40), "bad_length", 1),  # fewer: the body was cut
    (packet(1, {}, length=-1), "bad_length", 1),
    (packet(3, raw_body=b'{"content": '), "invalid_json", 3),
    (packet(3, raw_body=b"\xff\xfe"), "invalid_json", 3),
    (packet(3, raw_body=b"[1, 2]"), "invalid_json", 3),
    (packet(3, raw_body=b'{"n": NaN}'), "invalid_json", 3),
    (packet(3, raw_body=b"[" * 100 + b"]" * 100), "invalid_json", 3),
])
def test_each_wrong_field_is_named(data, code, command):
    with pytest.raises(PacketError) as refused:
        decode(data, MAX)
    assert (refused.value.code, refused.value.command) == (code, command)
    assert refused.value.too_large == (code == "packet_too_large")


def test_the_codec_needs_no_flask():
    imported = subprocess.run([sys.executable, "-c", "import sys, gateway.packets; print(sorted(sys.modules))"],
                              capture_output=True, text=True, check=True).stdout
    assert "'gateway.packets'" in imported and "flask" not in imported


def test_a_lone_surrogate_echoed_back_is_escaped_not_a_crash():
    data = encode(2, {"hasBeenSentId": "x\ud800"})
    data[HEADER_SIZE:].decode("utf-8")  # valid UTF-8
    assert parse(data) == (2, {"hasBeenSentId": "x\ud800"})
