"""The WebSocket upgrade answered from the request gunicorn already parsed (issue 15, connects).

simple-websocket answers an upgrade by writing the WSGI environ's headers back out as an HTTP request
and feeding them to wsproto, which parses them again with h11, then writes its 101 answer through h11:
about a tenth of the CPU of a socket's connect went there. `answer_upgrade` reads the same headers
from the environ and checks what wsproto's server handshake checks (RFC 6455 4.2.1: a GET naming
`Upgrade: websocket` in `Connection`, version 13, a key, a host); the permessage-deflate offer is
negotiated by wsproto's own function, with the extension simple-websocket would offer
(realtime.websocket_compression decides what that one answers). A request that fails a check is left to
simple-websocket's own handshake, which refuses it as it always did. `AnsweredFromEnviron` gives a
simple-websocket server this handshake: the Socket.IO websockets' (realtime.websocket_reader) and the
gateway's (gateway/routes.py).
"""
from __future__ import annotations

import simple_websocket.ws
from wsproto import ConnectionType
from wsproto.connection import Connection
from wsproto.events import Request
from wsproto.extensions import Extension
from wsproto.handshake import WEBSOCKET_UPGRADE, WEBSOCKET_VERSION, server_extensions_handshake
from wsproto.utilities import generate_accept_token

from actions.errors import InvalidInput
from ops.log_format import request_id


def _tokens(value: str) -> list[str]:
    return [token.strip() for token in value.split(",") if token.strip()]


def upgrade_request(environ: dict) -> Request | None:
    """The client's upgrade request as wsproto's server handshake would see it; None if it is not a
    valid one (the caller then lets wsproto refuse it)."""
    if environ.get("REQUEST_METHOD", "GET") != "GET":
        return None
    if not any(token.lower() == "upgrade" for token in _tokens(environ.get("HTTP_CONNECTION", ""))):
        return None
    if environ.get("HTTP_UPGRADE", "").lower() != "websocket":
        return None
    if environ.get("HTTP_SEC_WEBSOCKET_VERSION", "").encode() != WEBSOCKET_VERSION:
        return None
    if not environ.get("HTTP_SEC_WEBSOCKET_KEY") or not environ.get("HTTP_HOST"):
        return None
    return Request(host=environ["HTTP_HOST"], target=environ.get("PATH_INFO", "/"),
                   extensions=_tokens(environ.get("HTTP_SEC_WEBSOCKET_EXTENSIONS", "")),
                   subprotocols=_tokens(environ.get("HTTP_SEC_WEBSOCKET_PROTOCOL", "")))


def not_an_upgrade(where: str) -> InvalidInput:
    """The refusal of a request to a WebSocket endpoint that `upgrade_request` does not take (a missing
    key, a version other than 13): 400 `websocket_required`, naming the version spoken (RFC 6455 4.4)."""
    refusal = InvalidInput("websocket_required", f"Open {where} with a WebSocket handshake "
                                                 "(Sec-WebSocket-Key, Sec-WebSocket-Version: 13).")
    refusal.headers = {"Sec-WebSocket-Version": WEBSOCKET_VERSION.decode()}
    return refusal


def answer_upgrade(environ: dict, request: Request, extension: Extension, subprotocol: str | None) -> bytes:
    """The 101 answer to a valid upgrade request (`upgrade_request`), offering `extension` (which
    wsproto's negotiation configures: the connection is then made with it)."""
    lines = [b"HTTP/1.1 101 Switching Protocols", b"Upgrade: " + WEBSOCKET_UPGRADE, b"Connection: Upgrade",
             b"Sec-WebSocket-Accept: " + generate_accept_token(environ["HTTP_SEC_WEBSOCKET_KEY"].encode())]
    if subprotocol is not None:
        lines.append(b"Sec-WebSocket-Protocol: " + subprotocol.encode("ascii"))
    agreed = server_extensions_handshake(request.extensions, [extension])
    if agreed:
        lines.append(b"Sec-WebSocket-Extensions: " + agreed)
    if (answered_id := request_id.get()) != "-":  # the request's id (ops.logs), as every other answer has it
        lines.append(b"X-Request-ID: " + answered_id.encode("ascii"))
    return b"\r\n".join(lines) + b"\r\n\r\n"


class AnsweredFromEnviron:
    """A simple-websocket `Server` whose handshake answers the upgrade from the environ (put it first
    among the bases)."""

    def handshake(self) -> None:
        request = upgrade_request(self.environ)
        if request is None:  # not a valid upgrade: simple-websocket's handshake refuses it, as before
            super().handshake()
            return
        self.subprotocol = self.choose_subprotocol(request)
        # Looked up at each connect: realtime.websocket_compression replaces simple-websocket's offer.
        extension = simple_websocket.ws.PerMessageDeflate()
        response = answer_upgrade(self.environ, request, extension, self.subprotocol)
        self.ws.connection = Connection(ConnectionType.SERVER, [extension])
        self.sock.send(response)
        self.connected = True
