"""realtime.websocket_compression on a live server: what a client offering permessage-deflate, as every
browser does, is answered and sent (WEBSOCKET_COMPRESSION, docs/configuration.md)."""
from __future__ import annotations

import base64
import json
import os
import socket
import struct
import zlib

import pytest

from realtime.websocket_compression import CACHED_FRAMES, SharedFrames
from tests.integration.chat import create_group, post
from tests.servers import ChatUser, own_server

# What Chromium sends (its only parameter: it may be told a smaller window for what it sends).
BROWSER_OFFER = "permessage-deflate; client_max_window_bits"
SMALL = "a short line"
LARGE = "a long message that repeats itself, as quoted text and logs do." * 40  # 2,560 characters


@pytest.fixture(scope="module")
def threshold_server(tmp_path_factory):
    """The default: compressed from 1,024 characters on, once per message, no context takeover."""
    yield from own_server(tmp_path_factory, "deflate", jobs=False)


@pytest.fixture(scope="module")
def off_server(tmp_path_factory):
    yield from own_server(tmp_path_factory, "no-deflate", jobs=False, env={"WEBSOCKET_COMPRESSION": "off"})


class RawSocket:
    """A Socket.IO client over a WebSocket spoken byte by byte, so the frames' RSV1 bit can be seen."""

    def __init__(self, url: str, token: str, offer: str | None = BROWSER_OFFER) -> None:
        self.sock = socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                   f"Sec-WebSocket-Version: 13\r\n")
        if offer:
            request += f"Sec-WebSocket-Extensions: {offer}\r\n"
        self.sock.sendall((request + "\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(4096)
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        assert lines[0].startswith("HTTP/1.1 101"), lines[0]
        self.headers = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in lines[1:])}
        self.frames: list[tuple[bool, str]] = []  # (compressed, Engine.IO packet), as they came
        assert self.next_packet().startswith("0")  # Engine.IO open
        self.send("40" + json.dumps({"token": token}))
        while not self.next_packet().startswith("40"):
            pass

    def _read(self, size: int) -> bytes:
        while len(self.buffer) < size:
            chunk = self.sock.recv(65536)
            assert chunk, "the server closed the connection"
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def next_packet(self) -> str:
        """The next text message; a compressed one is inflated on its own, with a new decompressor: it
        must not depend on any message before it (no context takeover)."""
        first, second = self._read(2)
        assert not second & 0x80, "a server's frames are not masked"
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._read(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._read(8))
        payload = self._read(length)
        assert first & 0x0F == 0x1 and first & 0x80, f"a whole text frame, not {first:#x}"
        compressed = bool(first & 0x40)
        if compressed:
            payload = zlib.decompressobj(-15).decompress(payload + b"\x00\x00\xff\xff")
        packet = payload.decode()
        if packet == "2":  # Engine.IO ping
            self.send("3")
            return self.next_packet()
        self.frames.append((compressed, packet))
        return packet

    def send(self, text: str, compress: bool = False) -> None:
        """A masked client frame; compressed on its own when asked (the server told us no context takeover)."""
        payload, first = text.encode(), 0x81
        if compress:
            deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
            payload = (deflate.compress(payload) + deflate.flush(zlib.Z_SYNC_FLUSH))[:-4]
            first |= 0x40
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        length = len(payload)
        header = struct.pack("!BB", first, 0x80 | length) if length < 126 else struct.pack("!BBH", first, 0xFE, length)
        self.sock.sendall(header + mask + masked)

    def message_new(self, body: str) -> tuple[bool, dict]:
        """The next message:new (other events skipped): whether its frame was compressed, and the message."""
        while True:
            packet = self.next_packet()
            if packet.startswith("42"):
                event, payload = json.loads(packet[2:])
                if event == "message:new" and payload["message"]["body"] == body:
                    return self.frames[-1][0], payload["message"]

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def chat(request):
    """A sender and a receiver in a group on the server the test names, the receiver on a RawSocket."""
    server = request.getfixturevalue(request.param)
    sender, receiver = ChatUser.register(server.url), ChatUser.register(server.url)
    group = create_group(sender, (receiver,))
    raw = RawSocket(server.url, receiver.token)
    yield sender, receiver, group, raw
    raw.close()


@pytest.mark.integration
@pytest.mark.parametrize("chat", ["threshold_server"], indirect=True)
def test_a_browser_offer_is_accepted_without_context_takeover_and_long_messages_come_compressed(chat):
    sender, receiver, group, raw = chat
    extensions = raw.headers["sec-websocket-extensions"]
    assert extensions.startswith("permessage-deflate")
    assert "server_no_context_takeover" in extensions and "client_no_context_takeover" in extensions
    for body in (SMALL, LARGE, LARGE + "!", SMALL + "!"):  # each long one inflates on its own
        post(sender, group, body)
        compressed, message = raw.message_new(body)
        assert (compressed, message["conversation_id"]) == (len(body) >= 1024, group)
    # The client's own compressed frames (each on its own, as it was told) are read.
    raw.send("421" + json.dumps(["message:send", {"conversation_id": group, "body": LARGE, "client_id": "c-1"}]),
             compress=True)
    while not (packet := raw.next_packet()).startswith("431"):
        pass
    ack = json.loads(packet[3:])[0]
    assert ack["ok"] and ack["message"]["body"] == LARGE
    assert raw.message_new(LARGE)[1]["id"] == ack["message"]["id"]  # its own message:new, compressed too


@pytest.mark.integration
@pytest.mark.parametrize("chat", ["off_server"], indirect=True)
def test_with_compression_off_the_offer_is_declined_and_nothing_is_compressed(chat):
    sender, receiver, group, raw = chat
    assert "sec-websocket-extensions" not in raw.headers
    post(sender, group, LARGE)
    assert raw.message_new(LARGE)[0] is False


@pytest.mark.integration
@pytest.mark.parametrize("chat", ["threshold_server"], indirect=True)
def test_every_member_gets_the_same_message_whether_it_offered_compression_or_not(chat, threshold_server):
    sender, receiver, group, raw = chat
    plain_user = ChatUser.register(threshold_server.url)
    sender.api("POST", f"/groups/{group}/members", json={"user_id": plain_user.id}).raise_for_status()
    plain = RawSocket(threshold_server.url, plain_user.token, offer=None)
    try:
        assert "sec-websocket-extensions" not in plain.headers
        post(sender, group, LARGE)
        assert raw.message_new(LARGE)[0] is True
        compressed, message = plain.message_new(LARGE)
        assert compressed is False and message["body"] == LARGE
    finally:
        plain.close()


def inflate(payload: bytes) -> bytes:
    return zlib.decompressobj(-15).decompress(payload + b"\x00\x00\xff\xff")


def test_a_message_is_framed_once_and_every_recipient_gets_those_bytes():
    frames = SharedFrames()
    text = "42" + json.dumps(["message:new", {"body": LARGE}])
    first = frames.frame(text, compress=True)
    assert frames.frame("".join(text), compress=True) is first  # an equal text from another writer
    assert first[0] == 0x80 | 0x40 | 0x1 and first[1] < 126  # whole, compressed (RSV1), text, short
    assert inflate(first[2:]).decode() == text
    plain = frames.frame(text, compress=False)
    assert plain[:4] == struct.pack("!BBH", 0x81, 126, len(text)) and plain[4:] == text.encode()


def test_each_compressed_message_inflates_on_its_own_and_lengths_are_encoded():
    frames = SharedFrames()
    for text in (LARGE, LARGE + "?", "x" * 70_000):  # the last one: a 64-bit length when sent plain
        frame = frames.frame(text, compress=True)
        length = frame[1] & 0x7F
        offset = {126: 4, 127: 10}.get(length, 2)
        assert inflate(frame[offset:]).decode() == text  # a fresh decompressor: nothing carried over
    big = frames.frame("y" * 70_000, compress=False)
    assert big[:10] == struct.pack("!BBQ", 0x81, 127, 70_000)
    assert frames.frame(b"\x01\x02", compress=False) == b"\x82\x02\x01\x02"  # binary (the gateway's)


def test_the_remembered_frames_are_bounded():
    frames = SharedFrames()
    for number in range(CACHED_FRAMES * 3):
        frames.frame(f"message {number}", compress=False)
    assert len(frames._plain) <= CACHED_FRAMES
    frames.frame("z" * 20_000, compress=False)  # too big to remember
    assert "z" * 20_000 not in frames._plain
