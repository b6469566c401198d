"""Each Socket.IO websocket is read by its request's own greenlet, not by a second one of its own.

Under gevent, python-engineio serves a websocket with simple-websocket, whose server starts a reader
greenlet for every connection (`Base._thread`): it reads the socket and fills a buffer that the
request's greenlet waits on (`ws.wait()`, engineio's `_websocket_handler` loop), which does nothing
else. So every idle connection held two greenlets blocked where one does: about 8 KB of saved stack
and frames each (issue 15, memory per idle connection). `InlineServer` reads the socket in
`receive()` itself, in the caller's greenlet, exactly as the reader did (control frames answered,
fragments joined, the socket closed when the connection ends); the gateway (`/ws/im`), which waits
for its packets with a timeout, keeps simple-websocket's reader. Once open, the connection also lets
go of the handshake's state, which wsproto keeps for the connection's life, and the upgrade is answered
from the request gunicorn already parsed (realtime.websocket_handshake), not parsed again by h11.

A request to the websocket transport that is no valid handshake is refused 400 `websocket_required`
(docs/protocol.md): a broken one (no key, another version) by `InlineWebSocketWSGI`, a plain HTTP GET
(no `Upgrade: websocket`, which python-engineio turns away before any websocket handler) by
`refuse_plain_requests`, with the same answer. Other methods get python-engineio's answers, as on the
polling transport.
"""
from __future__ import annotations

import functools
import urllib.parse

import simple_websocket
from engineio.async_drivers import gevent as engineio_gevent
from wsproto.utilities import LocalProtocolError

from blueprints.client_json import dumps_bytes
from payloads import error_payload
from realtime.websocket_handshake import AnsweredFromEnviron, not_an_upgrade, upgrade_request


class _NoReader:
    """What simple-websocket is given as its reader's thread class: a thread that never starts."""

    def __init__(self, target) -> None:
        self.name = "inline reader"

    def start(self) -> None:
        return None


class _Opened:
    """wsproto's handshake once the connection is open: it has nothing more to say. Its h11 state and
    the upgrade request it kept (about 2.5 KB a connection) are let go."""

    @staticmethod
    def events():
        return iter(())


class InlineServer(AnsweredFromEnviron, simple_websocket.Server):
    """A simple-websocket server connection read by whoever calls `receive()` (one caller at a time)."""

    def __init__(self, environ, **options) -> None:
        options["thread_class"] = _NoReader
        super().__init__(environ, **options)
        if self.ws.connection is not None:  # open: wsproto asks its handshake for nothing but events
            self.ws.handshake = _Opened()

    def receive(self, timeout=None):
        """The next message, read from the socket here; None once the connection is closed (engineio's
        wrapper turns ConnectionClosed into that too). `timeout` is not supported: engineio waits."""
        while self.connected and not self.input_buffer:
            try:
                received = self.sock.recv(self.receive_bytes)
                if not received:
                    raise OSError("closed by the client")
                self.ws.receive_data(received)
                self.connected = self._handle_events()
            except (OSError, LocalProtocolError):
                self.connected = False
        if self.input_buffer:
            return self.input_buffer.pop(0)
        self.sock.close()  # the reader's last act, as simple-websocket's does
        raise simple_websocket.ConnectionClosed(self.close_reason, self.close_message)


class InlineWebSocketWSGI(engineio_gevent.WebSocketWSGI):
    """python-engineio's gevent websocket handler, with an InlineServer instead of simple-websocket's."""

    def __call__(self, environ, start_response):
        if upgrade_request(environ) is None:  # wsproto would raise: a 500 and a traceback in the log
            return self._refuse()
        self.ws = InlineServer(environ, **self.server_args)
        result = self.app(self)
        if self.ws.mode == "gunicorn":
            raise StopIteration()  # as engineio does: gunicorn must not write a response of its own
        return result

    def _refuse(self) -> dict:
        """400 `websocket_required` for a request to the websocket transport that is no valid upgrade
        (no key, a version other than 13: RFC 6455 4.4 has the answer name the one spoken), as an answer
        python-engineio writes itself (its CORS headers added). An Engine.IO connection this request
        opened is closed; one being upgraded from long-polling goes on polling."""
        connection = self.app.__self__  # engineio's Socket, whose handler this is
        if not connection.connected:
            connection.close(wait=False, abort=True)
        return _refusal()


def _refusal() -> dict:
    """The answer to a request to the websocket transport that is no WebSocket handshake, as
    python-engineio's answers are written (status, headers, body)."""
    refusal = not_an_upgrade("the websocket transport")
    headers = [("Content-Type", "application/json"), *refusal.headers.items()]
    body = dumps_bytes(error_payload(refusal))  # as every JSON answer is written (docs/protocol.md, Output)
    return {"status": "400 BAD REQUEST", "headers": headers, "response": body}


def _asks_no_upgrade(environ: dict) -> bool:
    """A GET to the websocket transport without `Upgrade: websocket` (a plain HTTP request), which
    python-engineio refuses itself, before any websocket handler, in plain text ("Invalid websocket
    upgrade"; "Invalid transport" for a long-polling connection's upgrade)."""
    if environ.get("REQUEST_METHOD") != "GET":
        return False
    transport = urllib.parse.parse_qs(environ.get("QUERY_STRING", "")).get("transport", ["polling"])[0]
    return transport == "websocket" and environ.get("HTTP_UPGRADE", "").lower() != "websocket"


def refuse_plain_requests(eio_server) -> None:
    """Refuse a plain HTTP GET to the websocket transport as a broken handshake is refused
    (InlineWebSocketWSGI): 400 `websocket_required` in the error envelope, with
    `Sec-WebSocket-Version: 13` and the CORS headers python-engineio adds; nothing is opened, and a
    long-polling connection whose upgrade it was goes on polling (docs/protocol.md)."""
    handle = eio_server.handle_request

    @functools.wraps(handle)
    def handle_request(environ, start_response):
        if not _asks_no_upgrade(environ):
            return handle(environ, start_response)
        answer = _refusal()
        start_response(answer["status"], answer["headers"] + eio_server._cors_headers(environ))
        return [answer["response"]]

    eio_server.handle_request = handle_request


def read_inline() -> None:
    """Serve python-engineio's websockets under gevent with InlineServer from now on (once per process)."""
    if engineio_gevent.SimpleWebSocketWSGI is not None:  # gevent-websocket has no reader greenlet to spare
        engineio_gevent._async["websocket"] = InlineWebSocketWSGI
