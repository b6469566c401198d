"""realtime.websocket_handshake: the upgrade answered from the environ agrees with wsproto's own handshake,
and a request that is not a valid upgrade is refused by wsproto as before."""
from __future__ import annotations

import socket

import pytest
import simple_websocket
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Request, TextMessage
from wsproto.extensions import PerMessageDeflate
from wsproto.utilities import RemoteProtocolError

from realtime.websocket_compression import SharedDeflate
from realtime.websocket_reader import InlineServer, _NoReader

BROWSER = "permessage-deflate; client_max_window_bits"
OFFERS = [None, BROWSER, "permessage-deflate", "permessage-deflate; server_max_window_bits=10",
          "x-webkit-deflate-frame", "x-webkit-deflate-frame, permessage-deflate; client_max_window_bits"]


def upgrade_environ(sock: socket.socket, **headers: str) -> dict:
    """What gunicorn's gevent worker gives the app for a browser's upgrade request."""
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/socket.io/", "gunicorn.socket": sock,
               "HTTP_HOST": "127.0.0.1:8000", "HTTP_CONNECTION": "keep-alive, Upgrade", "HTTP_UPGRADE": "websocket",
               "HTTP_SEC_WEBSOCKET_VERSION": "13", "HTTP_SEC_WEBSOCKET_KEY": "dGhlIHNhbXBsZSBub25jZQ==",
               "HTTP_USER_AGENT": "Mozilla/5.0", "HTTP_COOKIE": "session=abc"}
    environ.update({"HTTP_" + name: value for name, value in headers.items()})
    return {name: value for name, value in environ.items() if value is not None}


class WsprotoServer(simple_websocket.Server):
    """simple-websocket's own handshake (h11 parsing the request written back out), read inline."""

    def __init__(self, environ) -> None:
        super().__init__(environ, thread_class=_NoReader)  # read by nobody: only the handshake is compared


def answer(server_class, **headers) -> tuple[dict[bytes, bytes], object]:
    """The 101 answer's headers (names lower-cased) and the server connection's extensions."""
    server_sock, client_sock = socket.socketpair()
    try:
        server = server_class(upgrade_environ(server_sock, **headers))
        client_sock.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            data += client_sock.recv(4096)
        head = data.split(b"\r\n\r\n")[0].split(b"\r\n")
        assert head[0] == b"HTTP/1.1 101 Switching Protocols"
        fields = dict(line.split(b": ", 1) for line in head[1:])
        return {name.lower(): value for name, value in fields.items()}, server
    finally:
        server_sock.close()
        client_sock.close()


def negotiated(server) -> list[tuple]:
    return [(type(extension), extension.enabled(), extension.server_no_context_takeover,
             extension.client_no_context_takeover, extension.server_max_window_bits, extension.client_max_window_bits)
            for extension in server.ws.connection._proto.extensions]


@pytest.fixture(params=["declined", "accepted"])
def compression(request, monkeypatch):
    monkeypatch.setattr(simple_websocket.ws, "PerMessageDeflate", SharedDeflate)
    monkeypatch.setattr(SharedDeflate, "declined", request.param == "declined")
    return request.param


@pytest.mark.parametrize("offer", OFFERS)
def test_the_answer_and_what_is_agreed_are_wsprotos(offer, compression):
    ours, our_server = answer(InlineServer, SEC_WEBSOCKET_EXTENSIONS=offer)
    theirs, their_server = answer(WsprotoServer, SEC_WEBSOCKET_EXTENSIONS=offer)
    assert ours == theirs
    assert ours[b"sec-websocket-accept"] == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # RFC 6455's example
    assert negotiated(our_server) == negotiated(their_server)
    agreed = ours.get(b"sec-websocket-extensions")
    if compression == "declined" or offer is None or "permessage-deflate" not in offer:
        assert agreed is None
    else:
        assert agreed.startswith(b"permessage-deflate") and b"server_no_context_takeover" in agreed


def test_a_client_reads_the_answer_and_talks_through_the_agreed_compression(compression):
    server_sock, client_sock = socket.socketpair()
    client = WSConnection(ConnectionType.CLIENT)
    request = client.send(Request(host="127.0.0.1", target="/socket.io/", extensions=[PerMessageDeflate()]))
    fields = dict(line.split(": ", 1) for line in request.decode().split("\r\n\r\n")[0].split("\r\n")[1:])
    server = InlineServer(upgrade_environ(server_sock, SEC_WEBSOCKET_KEY=fields["Sec-WebSocket-Key"],
                                          SEC_WEBSOCKET_EXTENSIONS=fields["Sec-WebSocket-Extensions"]))
    client_sock.settimeout(5)
    client.receive_data(client_sock.recv(4096))
    assert any(isinstance(event, AcceptConnection) for event in client.events())
    client_sock.sendall(client.send(TextMessage(data="42" + "x" * 500)))
    assert server.receive() == "42" + "x" * 500  # compressed by the client if agreed, inflated by the server
    server_sock.close()
    client_sock.close()


@pytest.mark.parametrize("headers", [
    {"SEC_WEBSOCKET_KEY": None}, {"SEC_WEBSOCKET_VERSION": "8"}, {"UPGRADE": "h2c"},
    {"CONNECTION": "keep-alive"}, {"HOST": None},
])
def test_a_request_that_is_not_a_valid_upgrade_is_refused_as_wsproto_refuses_it(headers):
    for server_class in (InlineServer, WsprotoServer):
        server_sock, client_sock = socket.socketpair()
        with pytest.raises(RemoteProtocolError):
            server_class(upgrade_environ(server_sock, **headers))
        server_sock.close()
        client_sock.close()
