"""A bzGhost test client written from docs/gateway.md only (it imports nothing of gateway/).

Packet: magic 0x12345678 (int32) | version (int8) | serializer (int8) | command (int8) | length
(int32) | length bytes of UTF-8 JSON, big-endian, one packet per binary WebSocket message.
"""
from __future__ import annotations

import json
import struct
import threading
import time
from dataclasses import dataclass

import websocket

MAGIC = 0x12345678
LOGIN, LOGIN_RESPONSE, SEND, MESSAGE = 1, 2, 3, 4
JOIN, JOIN_RESPONSE, QUIT, QUIT_RESPONSE = 7, 8, 9, 10
PING, PONG, PUSH = 17, 18, -10


def packet(command: int, body: object = None, *, magic: int = MAGIC, version: int = 1, serializer: int = 1,
           length: int | None = None, raw_body: bytes | None = None) -> bytes:
    """A packet; every header field can be set wrong on purpose."""
    data = raw_body if raw_body is not None else json.dumps({} if body is None else body).encode("utf-8")
    return struct.pack(">IbbbI" if length is None or length >= 0 else ">Ibbbi", magic, version, serializer, command,
                       len(data) if length is None else length) + data


def parse(data: bytes) -> tuple[int, dict]:
    magic, version, serializer, command, length = struct.unpack(">IbbbI", data[:11])
    assert (magic, version, serializer) == (MAGIC, 1, 1), (magic, version, serializer)
    assert len(data) == 11 + length, (len(data), length)
    return command, json.loads(data[11:].decode("utf-8"))


@dataclass
class Closed:
    code: int | None
    reason: str


class GatewayClient:
    """One WebSocket to /ws/im; a thread records every packet received, and the close."""

    def __init__(self, server_url: str, timeout: float = 10) -> None:
        self.ws = websocket.create_connection(server_url.replace("http://", "ws://") + "/ws/im", timeout=timeout)
        self.ws.settimeout(None)  # the reader waits as long as the connection lives
        self.received: list[tuple[int, dict]] = []
        self.closed: Closed | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            while True:
                opcode, data = self.ws.recv_data(control_frame=True)
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    code = struct.unpack(">H", data[:2])[0] if len(data) >= 2 else None
                    self.closed = Closed(code, data[2:].decode("utf-8", "replace"))
                    return
                if opcode == websocket.ABNF.OPCODE_BINARY:
                    self.received.append(parse(data))
        except (websocket.WebSocketConnectionClosedException, OSError):
            if self.closed is None:
                self.closed = Closed(None, "connection lost")

    def send(self, command: int, body: object = None) -> None:
        self.send_raw(packet(command, body))

    def send_raw(self, data: bytes) -> None:
        self.ws.send_binary(data)

    def wait(self, predicate, timeout: float = 10, what: str = "a packet") -> tuple[int, dict]:
        """The first packet received (so far or within `timeout`) that `predicate(command, body)` accepts."""
        deadline = time.monotonic() + timeout
        while True:
            for command, body in list(self.received):
                if predicate(command, body):
                    return command, body
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {what} in {self.received} (closed: {self.closed})")
            time.sleep(0.02)

    def response(self, command: int, timeout: float = 10, **fields) -> dict:
        """The first packet with this command whose body has these fields."""
        return self.wait(lambda c, b: c == command and all(b.get(k) == v for k, v in fields.items()),
                         timeout, f"command {command} {fields}")[1]

    def wait_closed(self, timeout: float = 10) -> Closed:
        deadline = time.monotonic() + timeout
        while self.closed is None:
            if time.monotonic() > deadline:
                raise TimeoutError("the server did not close the connection")
            time.sleep(0.02)
        return self.closed

    def login(self, token: str, user_id: int) -> dict:
        self.send(LOGIN, {"userId": str(user_id), "token": token})
        return self.response(LOGIN_RESPONSE)

    def close(self) -> None:
        try:
            self.ws.close(timeout=1)
        except Exception:  # noqa: BLE001  (already closed by the server)
            pass
