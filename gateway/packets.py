"""The bzGhost packet codec (docs/gateway.md): bytes to packets and back, nothing else.

A packet is one binary WebSocket message, big-endian:

    magic 0x12345678 (int32) | version 1 (int8) | serializer 1 = JSON (int8) | command (int8)
    | length (int32) | body: `length` bytes of UTF-8 JSON, one object

so a packet is exactly HEADER_SIZE + length bytes. `decode` checks every field in that order and
raises PacketError with a stable code for the first one that is wrong; `encode` writes a packet.
No Flask here: the tests and any client can use this module alone.
"""
from __future__ import annotations

import json
import struct
from dataclasses import dataclass

from blueprints.client_json import MalformedJSON, loads

MAGIC = 0x12345678
VERSION = 1
JSON_SERIALIZER = 1
HEADER = struct.Struct(">iBBbi")  # magic, version, serializer, command (signed), length
HEADER_SIZE = HEADER.size  # 11

# Commands. Requests from the client, and the response each one gets.
LOGIN, LOGIN_RESPONSE = 1, 2
SEND_MESSAGE, MESSAGE = 3, 4
JOIN_GROUP, JOIN_GROUP_RESPONSE = 7, 8
QUIT_GROUP, QUIT_GROUP_RESPONSE = 9, 10
PING, PONG = 17, 18
PUSH = -10  # server push: system messages, broadcasts, changes, errors, the reason of a close

RESPONSES = {LOGIN: LOGIN_RESPONSE, SEND_MESSAGE: MESSAGE, JOIN_GROUP: JOIN_GROUP_RESPONSE,
             QUIT_GROUP: QUIT_GROUP_RESPONSE, PING: PONG}


class PacketError(ValueError):
    """A packet that is not one: `code` names the field that is wrong (docs/gateway.md, Errors).
    `command` is set once the header was read far enough to know it (its response can answer)."""

    def __init__(self, code: str, message: str, command: int | None = None, too_large: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.command = command
        self.too_large = too_large


@dataclass(frozen=True)
class Packet:
    command: int
    body: dict


def encode(command: int, body: dict) -> bytes:
    """One packet: the header, then `body` as compact UTF-8 JSON."""
    try:
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate a client sent, echoed back: escaped, still valid UTF-8 JSON
        data = json.dumps(body, separators=(",", ":")).encode("ascii")
    return HEADER.pack(MAGIC, VERSION, JSON_SERIALIZER, command, len(data)) + data


def decode(data: bytes, max_body: int) -> Packet:
    """The packet in one WebSocket message; PacketError for the first field that is wrong."""
    if len(data) < HEADER_SIZE:
        raise PacketError("truncated_header", f"A packet starts with an {HEADER_SIZE}-byte header; "
                                              f"this one has {len(data)} bytes.")
    magic, version, serializer, command, length = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise PacketError("bad_magic", f"The magic number must be 0x{MAGIC:08x}, not 0x{magic & 0xFFFFFFFF:08x}.")
    if version != VERSION:
        raise PacketError("bad_version", f"Only version {VERSION} is spoken, not {version}.")
    if serializer != JSON_SERIALIZER:
        raise PacketError("bad_serializer", f"Only serializer {JSON_SERIALIZER} (JSON) is spoken, not {serializer}.")
    if command not in RESPONSES:
        raise PacketError("unknown_command", f"Command {command} is not a request this server answers.")
    if length > max_body:
        raise PacketError("packet_too_large", f"Bodies are at most {max_body} bytes; this one says {length}.",
                          command=command, too_large=True)
    if length < 0 or len(data) - HEADER_SIZE != length:
        raise PacketError("bad_length", f"The header says {length} body bytes; the message holds "
                                        f"{len(data) - HEADER_SIZE}.", command=command)
    try:
        body = loads(data[HEADER_SIZE:])
    except MalformedJSON as error:
        raise PacketError("invalid_json", f"The body is not JSON: {error}.", command=command) from None
    if not isinstance(body, dict):
        raise PacketError("invalid_json", "The body must be one JSON object.", command=command)
    return Packet(command, body)
