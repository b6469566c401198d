"""permessage-deflate on the server's WebSockets: declined, or each message compressed once for everyone.

simple-websocket 1.1.0 (python-engineio's WebSocket server under gevent, and the gateway's) accepts
permessage-deflate whenever a client offers it, as every browser does, with wsproto's defaults:
context takeover both ways. So every connection keeps a zlib compressor of its own once its first
frame is written (about 100 KB of memory an idle connection holds) and every frame of a room emit is
built and compressed again for each recipient (a quarter of the worker in fan-out, issue 15).

WEBSOCKET_COMPRESSION (docs/configuration.md) chooses instead, for every connection made from now on:
- "off": the offer is declined; frames go out as they are.
- N (bytes): the offer is accepted without context takeover either way (`server_no_context_takeover`,
  `client_no_context_takeover`: RFC 7692 lets the server answer both unasked), so that no connection
  keeps a compressor or decompressor between messages; a message of at least N bytes is compressed,
  a shorter one goes uncompressed (the RSV1 bit is per message), as Node's `ws` does with its
  threshold. A compressed message depends on nothing sent before, so its frame is the same bytes for
  every recipient: it is compressed once, by one compressor for the whole process.

Either way the server's frames (text or binary, unmasked) are built here and kept for the next
recipients of the same message (`SharedFrames`): a room emit hands every recipient's writer the same
text, which is then framed once instead of once a recipient.
"""
from __future__ import annotations

import functools
import struct
import threading
import zlib

import simple_websocket.ws
from simple_websocket.errors import ConnectionClosed
from wsproto.extensions import PerMessageDeflate

from realtime.websocket_frames import Framed

OFF = "off"
WINDOW_BITS = 15  # the shared compressor's window: what a client assumes unless it asked for less
# Distinct messages remembered (a burst of room emits in flight, a few times over), each up to 16 KB (a long
# chat message's frame; bigger ones, a sync answer, go to one socket): at most 64 x 2 x 16 KB per kind.
CACHED_FRAMES = 64
CACHED_MAX_BYTES = 16 * 1024
_FIN, _RSV1, _TEXT, _BINARY = 0x80, 0x40, 0x1, 0x2


class SharedDeflate(PerMessageDeflate):
    """The server's answer to a permessage-deflate offer: declined when compression is off, else
    accepted without context takeover. (As a client's offer it is wsproto's, unchanged.)"""

    declined = False

    def accept(self, offer: str) -> bool | None | str:
        if self.declined:
            return None
        self.server_no_context_takeover = self.client_no_context_takeover = True
        return super().accept(offer)


class SharedFrames:
    """Whole server frames by message: built (and compressed) for the first recipient, reused for the rest."""

    def __init__(self) -> None:
        self._plain: dict[str | bytes, bytes] = {}
        self._compressed: dict[str | bytes, bytes] = {}
        self._compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -WINDOW_BITS)
        self._compressing = threading.Lock()  # in threading mode (tests, `python app.py`): one at a time

    def frame(self, message: str | bytes, compress: bool) -> bytes:
        frames = self._compressed if compress else self._plain
        found = frames.get(message)
        if found is None:
            found = self._build(message, compress)
            if len(message) <= CACHED_MAX_BYTES:
                if len(frames) >= CACHED_FRAMES:
                    frames.clear()
                frames[message] = found
        return found

    def _build(self, message: str | bytes, compress: bool) -> bytes:
        opcode = _FIN | (_BINARY if isinstance(message, bytes) else _TEXT)
        payload = message if isinstance(message, bytes) else message.encode()
        if compress:
            with self._compressing:
                # A full flush ends the message where the next one cannot refer back to it: no context
                # takeover. It ends with the empty block 00 00 ff ff, which RFC 7692 says to strip.
                payload = self._compressor.compress(payload) + self._compressor.flush(zlib.Z_FULL_FLUSH)
            payload = payload[:-4]
            opcode |= _RSV1
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", opcode, length)
        elif length < 1 << 16:
            header = struct.pack("!BBH", opcode, 126, length)
        else:
            header = struct.pack("!BBQ", opcode, 127, length)
        return header + payload


class Policy:
    """What this process does with permessage-deflate (set by `compress_websockets`)."""

    def __init__(self) -> None:
        self.threshold: int | None = None  # None: declined
        self.frames = SharedFrames()

    def compresses(self, connection) -> bool:
        """Whether this server connection may get compressed frames (it negotiated SharedDeflate with a
        window the shared compressor's frames fit in). Asked once per connection."""
        frames = getattr(connection.ws.connection, "_proto", None)  # wsproto's, once the handshake is done
        if self.threshold is None or frames is None:
            return False
        return any(isinstance(extension, SharedDeflate) and extension.enabled()
                   and extension.server_max_window_bits >= WINDOW_BITS for extension in frames.extensions)


policy = Policy()


def frame_for(connection, data: str | bytes) -> bytes:
    """The frame of one message (text, or binary if bytes) for a server connection, compressed if it
    negotiated compression and the message reaches the threshold; the same bytes object for every
    connection that gets the message in the same form."""
    compresses = connection.__dict__.get("switchboard_compresses")
    if compresses is None:
        compresses = connection.switchboard_compresses = policy.compresses(connection)
    message = data if isinstance(data, bytes) else str(data)
    threshold = policy.threshold
    return policy.frames.frame(message, compresses and threshold is not None and len(message) >= threshold)


def compress_websockets(setting: str | int) -> None:
    """Apply WEBSOCKET_COMPRESSION to every simple-websocket server connection made from now on (patched
    once per process; a later call only changes the setting)."""
    policy.threshold = None if setting == OFF else int(setting)
    SharedDeflate.declined = policy.threshold is None
    simple_websocket.ws.PerMessageDeflate = SharedDeflate  # what its handshake offers and accepts
    base = simple_websocket.ws.Base
    original = base.send
    if getattr(original, "shares_frames", False):
        return

    @functools.wraps(original)
    def send(self, data):
        if not self.is_server:
            return original(self, data)
        if not self.connected:
            raise ConnectionClosed(self.close_reason, self.close_message)
        self.sock.send(data if isinstance(data, Framed) else frame_for(self, data))

    send.shares_frames = True
    base.send = send
