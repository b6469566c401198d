"""JSON as clients send it, read strictly: the REST API's bodies (blueprints.api.json_body) and
Socket.IO's packets (`SocketJSON`, given to extensions.socketio) go through `loads`.

`loads` reads what `json.loads` reads, except what no client needs and what made views crash:
- `NaN`, `Infinity`, `-Infinity` and numbers beyond a float (`1e999`): `int(float("inf"))` raises;
- arrays and objects nested deeper than MAX_DEPTH (`"[" * 100000` made `json.loads` raise
  RecursionError, which no `except ValueError` catches);
- integers of more than MAX_INTEGER_DIGITS digits (Python's own limit is 4,300, and reading
  them takes quadratic time); any integer still goes through actions.validation.check_int's bounds.
It raises MalformedJSON, a ValueError, for these and for anything that is not JSON or not UTF-8.

What the server writes goes through `dumps_bytes` (orjson; the REST responses by
blueprints.response_json.ResponseJSON, the Socket.IO packets by `SocketJSON`): compact, UTF-8, keys in
the order each payload names them. Nothing here needs Flask (the gateway's codec uses it without).
"""
from __future__ import annotations

import json
import math
import re

import orjson

MAX_DEPTH = 32
MAX_INTEGER_DIGITS = 100


_WRITE_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps_bytes(value: object, default=None) -> bytes:
    """`value` as compact JSON in UTF-8, object keys in their order (as json.dumps with separators (",", ":")
    writes it, but non-ASCII characters as themselves, not `\\u` escapes): by orjson, about 15x faster than
    json.dumps on a page of messages, whose encoding was a fifth of the page's CPU (issue 15). Dates,
    datetimes and dataclasses go to `default`, as json.dumps sends them (Flask's rules for a response).
    What orjson refuses (an integer beyond 64 bits, text with a lone surrogate, nesting deeper than 254, a
    type `default` cannot write) json.dumps writes as before, or refuses as before (TypeError)."""
    try:
        return orjson.dumps(value, default=default, option=_WRITE_OPTIONS)
    except orjson.JSONEncodeError:
        return json.dumps(value, default=default, separators=(",", ":")).encode()


class MalformedJSON(ValueError):
    """The text is not JSON as Switchboard reads it."""


def loads(text: str | bytes) -> object:
    """JSON in UTF-8 (bytes: nothing else is guessed, as json.loads would guess UTF-16 or UTF-32,
    and no byte order mark), as RFC 8259 has it between systems."""
    try:
        if isinstance(text, bytes | bytearray):
            text = text.decode("utf-8")
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float,
                           parse_int=_short_int)
    except RecursionError:
        raise MalformedJSON("nested too deeply") from None
    except ValueError as error:  # not JSON, not UTF-8 (UnicodeDecodeError), or refused above
        raise MalformedJSON(str(error)) from None
    if _nesting_exceeds(value, MAX_DEPTH):
        raise MalformedJSON(f"nested deeper than {MAX_DEPTH} levels")
    return value


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is too large")
    return number


def _short_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise ValueError("integer too long")
    return int(text)


def _nesting_exceeds(value: object, limit: int) -> bool:
    """Whether arrays and objects nest deeper than `limit`, counted level by level (no recursion)."""
    level, depth = [value], 0
    while True:
        containers = [item for item in level if isinstance(item, (list, dict))]
        if not containers:
            return False
        depth += 1
        if depth > limit:
            return True
        level = [child for container in containers
                 for child in (container.values() if isinstance(container, dict) else container)]


# -- Socket.IO --------------------------------------------------------------------------------------

UNREADABLE = object()  # an event's payload that `loads` refused: handlers answer invalid_payload
_EVENT_NAME = re.compile(r'\[\s*("(?:[^"\\]|\\.){1,200}")\s*[,\]]')


class SocketJSON:
    """The JSON module python-socketio and python-engineio read packets with.

    A Socket.IO event packet is `<type><ack id>[event, payload...]`, and its JSON part is read
    here. Left to `json.loads`, a payload it cannot read raised inside python-socketio, which
    logged a traceback and never answered the ack. Here such an event keeps its name and gets
    UNREADABLE as its payload, so that its handler answers the ack with `invalid_payload`
    (blueprints.chat.socket_support). Text without an event name still raises ValueError:
    Engine.IO reads its own packets (`probe`) by trying JSON first.
    """

    @staticmethod
    def dumps(value: object, **_options) -> str:
        """A packet's JSON (python-socketio and python-engineio ask for compact separators: dumps_bytes's)."""
        return dumps_bytes(value).decode()

    @staticmethod
    def loads(text: str | bytes, **_options) -> object:
        try:
            return loads(text)
        except MalformedJSON:
            named = _EVENT_NAME.match(text) if isinstance(text, str) else None
            if named is None:
                raise
            try:
                name = json.loads(named.group(1))
            except ValueError:
                raise MalformedJSON("unreadable event name") from None
            return [name, UNREADABLE]
