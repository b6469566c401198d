"""A raw Socket.IO v5 / Engine.IO v4 client over websocket-client, for tests that need the wire order.

Every connection of a test belongs to one `WireHub`, read by the test's own thread in one loop:
each frame gets a place in one arrival order across all connections (`Frame.index`), with no
client callbacks running in other threads. REST calls made through the hub (`WireHub.call`,
raw HTTP/1.1 on a plain socket) are read by the same loop, so "the HTTP answer was in before
the event" is observable too.

The hub knows the requests in flight (`Request`): a send by its `client_id`, an edit or a
delete by its message. When an event about such a message arrives on one connection, the
hub first reads whatever the requests' own connections already hold (ack frames, HTTP
bytes): the kernel had those before the event was read, so `Request.answered_index` versus
`Frame.checked_index` tells, as exactly as a client can, whether the answer came first.

Engine.IO over websocket: the server opens with `0{...}`, pings with `2` (answered `3`);
Socket.IO packets ride on Engine.IO messages (`4`): connect `40{auth}`, its answer
`40{"sid": ...}` or `44{error}`, events `42["name", payload]`, acks `43<id>[answer]`.
"""
from __future__ import annotations

import itertools
import json
import select
import socket
import struct
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import websocket


def ready_to_read(sources: list, wait: float) -> list:
    """The sources (anything with a `fileno()`) that have data within `wait` seconds. poll(), not
    select(), which refuses descriptors past 1,023 (a long test session holds that many)."""
    poller = select.poll()
    by_descriptor = {source.fileno(): source for source in sources}
    for descriptor in by_descriptor:
        poller.register(descriptor, select.POLLIN)
    return [by_descriptor[descriptor] for descriptor, _events in poller.poll(wait * 1000)]


@dataclass
class Frame:
    index: int  # place in the hub's arrival order
    connection: str
    kind: str  # "event", "ack", "disconnect"
    name: str | None = None  # the event's name
    payload: object = None  # the event's payload or the ack's answer
    ack_id: int | None = None
    checked_index: int | None = None  # the hub's counter once the answering connections were read


@dataclass
class Request:
    """A write in flight: a socket event waiting for its ack, or a REST call waiting for its response."""

    channel: WireSocket | RestCall | None  # what it was sent on
    event: str  # "message:send", "message:edit", "message:delete", or any other socket event
    payload: dict
    client_id: str | None = None
    message_id: int | None = None  # edits and deletes
    answer: dict | None = None
    answered_index: int | None = None
    lost: bool = False  # its connection went away before the answer came

    @property
    def answered(self) -> bool:
        return self.answered_index is not None

    def is_about(self, event: str, message: dict) -> bool:
        """Could this request be what caused `event` about `message`?"""
        if event == "message:new":
            return self.client_id is not None and self.client_id == message.get("client_id")
        return self.message_id == message["id"]

    @property
    def result(self) -> dict | None:
        """The stored message the answer carries, when it succeeded."""
        if self.answer and self.answer.get("ok"):
            return self.answer.get("message")
        return None


class WireSocket:
    """One raw Socket.IO connection, read only by its hub."""

    def __init__(self, hub: WireHub, server_url: str, token: str, name: str) -> None:
        self.hub = hub
        self.server_url = server_url
        self.token = token
        self.name = name
        self.frames: list[Frame] = []
        self.requests: dict[int, Request] = {}  # by ack id
        self.ack_ids = itertools.count()
        self.ws: websocket.WebSocket | None = None
        self.connected = False
        self.newest: dict[int, int] = {}  # conversation id -> highest message revision received
        self.paused = False  # not read while paused: what the server sends waits in the kernel
        self.eio_sid: str | None = None

    def open(self, timeout: float = 10) -> WireSocket:
        address = urlsplit(self.server_url)
        self.ws = websocket.create_connection(
            f"ws://{address.netloc}/socket.io/?EIO=4&transport=websocket", timeout=timeout,
            skip_utf8_validation=True)  # websocket-client's pure-Python check costs more than the rest
        try:
            early = self._handshake()
        except BaseException:
            self.ws.shutdown()
            raise
        self.connected = True
        self.hub.sockets.append(self)
        for text in early:
            self._receive(text)
        return self

    def _handshake(self) -> list[str]:
        """Connect; the events that came before the connect answer, in their order.

        The server joins the socket to its rooms in its connect handler, before it writes the
        connect answer: an event of those rooms (another user's `presence:batch`, a message) can
        come first. Socket.IO clients keep such events and deliver them once connected
        (socket.io-client's receive buffer); so does this one."""
        opening = self.ws.recv()
        if not opening.startswith("0"):
            raise ConnectionError(f"{self.name}: expected the Engine.IO open packet, got {opening[:80]!r}")
        self.eio_sid = json.loads(opening[1:])["sid"]  # the connection's name in the server's log
        self.ws.send("40" + json.dumps({"token": self.token}))
        early: list[str] = []
        while True:
            text = self.ws.recv()
            if text == "2":
                self.ws.send("3")
            elif text.startswith("40"):
                return early
            elif text.startswith("44"):
                raise ConnectionRefusedError(f"{self.name}: {text[2:]}")
            elif text.startswith("42"):
                early.append(text)
            else:
                raise ConnectionError(f"{self.name}: unexpected frame before connect: {text[:80]!r}")

    def emit(self, event: str, payload: dict, client_id: str | None = None,
             message_id: int | None = None) -> Request:
        """Send `event` with an ack id; the answer lands in the returned Request."""
        ack_id = next(self.ack_ids)
        request = Request(self, event, payload, client_id=client_id, message_id=message_id)
        self.requests[ack_id] = request
        self.hub.in_flight.append(request)
        try:
            self.ws.send(f"42{ack_id}" + json.dumps([event, payload], separators=(",", ":")))
        except (OSError, websocket.WebSocketException):
            self._gone()  # the request is lost with the connection
        return request

    def kill(self) -> None:
        """Drop the connection the way a crashing client or a cut network does: a TCP reset,
        no websocket close frame, no Socket.IO disconnect."""
        raw = self.ws.sock
        if raw is not None:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = RST
            raw.close()
        self._gone()

    def close(self) -> None:
        """A clean goodbye: Socket.IO disconnect, then the websocket close handshake."""
        if self.connected:
            try:
                self.ws.send("41")
                self.ws.close(timeout=2)
            except (OSError, websocket.WebSocketException):
                pass
        self._gone()

    def fileno(self) -> int:
        return self.ws.sock.fileno()

    def readable(self) -> bool:
        return self.connected and not self.paused and bool(ready_to_read([self.ws.sock], 0))

    def read(self) -> Frame | None:
        """Read one frame (the socket is readable); None for a ping or a websocket control frame."""
        try:
            opcode, data = self.ws.recv_data()
        except (OSError, websocket.WebSocketException):
            self._gone()
            return self.hub.record(Frame(0, self.name, "disconnect"), self)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            self._gone()
            return self.hub.record(Frame(0, self.name, "disconnect"), self)
        return self._receive(data.decode() if isinstance(data, bytes) else data)

    def _receive(self, text: str) -> Frame | None:
        if text == "2":
            try:
                self.ws.send("3")
            except (OSError, websocket.WebSocketException):
                self._gone()
            return None
        if text.startswith("42"):
            name, *arguments = json.loads(text[2:])
            return self.hub.record(Frame(0, self.name, "event", name=name,
                                         payload=arguments[0] if arguments else None), self)
        if text.startswith("43"):
            bracket = text.index("[")
            ack_id = int(text[2:bracket])
            answer = json.loads(text[bracket:])[0]
            frame = self.hub.record(Frame(0, self.name, "ack", payload=answer, ack_id=ack_id), self)
            request = self.requests.pop(ack_id, None)
            if request is not None:
                self.hub.answer(request, answer, frame.index)
            return frame
        if text.startswith("41") or text == "1":
            self._gone()
            return self.hub.record(Frame(0, self.name, "disconnect"), self)
        raise ConnectionError(f"{self.name}: unexpected frame {text[:80]!r}")

    def drain(self) -> None:
        while self.readable():
            self.read()

    def _gone(self) -> None:
        if self.connected:
            self.connected = False
            self.hub.sockets.remove(self)
            self.ws.shutdown()
        for request in self.requests.values():
            request.lost = True
            if request in self.hub.in_flight:
                self.hub.in_flight.remove(request)
        self.requests.clear()

    def events(self, *names: str) -> list[Frame]:
        return [frame for frame in self.frames if frame.kind == "event" and (not names or frame.name in names)]


class RestCall:
    """One HTTP/1.1 request on its own connection (`Connection: close`), its response read by the hub."""

    def __init__(self, hub: WireHub, request: Request, raw: socket.socket) -> None:
        self.hub = hub
        self.request = request
        self.raw = raw
        self.buffer = b""
        self.status: int | None = None

    def fileno(self) -> int:
        return self.raw.fileno()

    def readable(self) -> bool:
        return self.request.answered_index is None and bool(ready_to_read([self.raw], 0))

    def read(self) -> None:
        chunk = self.raw.recv(65536)
        self.buffer += chunk
        head, separator, body = self.buffer.partition(b"\r\n\r\n")
        if not separator:
            if not chunk:
                raise ConnectionError("the server closed before answering")
            return
        lines = head.decode("latin-1").split("\r\n")
        fields = (line.partition(":") for line in lines[1:])
        headers = {name.strip().lower(): value.strip() for name, _, value in fields}
        length = int(headers.get("content-length", "-1"))
        if (length >= 0 and len(body) >= length) or (length < 0 and not chunk):
            self.status = int(lines[0].split()[1])
            self.raw.close()
            self.hub.rest_calls.remove(self)
            self.hub.answer(self.request, json.loads(body[:length] if length >= 0 else body), self.hub.tick())
        elif not chunk:
            raise ConnectionError("the server closed in the middle of its response")

    def drain(self) -> None:
        while self.readable():
            self.read()


class WireHub:
    """The connections and REST calls of one test, read in one loop by the calling thread."""

    def __init__(self) -> None:
        self.sockets: list[WireSocket] = []
        self.rest_calls: list[RestCall] = []
        self.in_flight: list[Request] = []
        self.counter = itertools.count(1)
        self.frames: list[Frame] = []

    def connect(self, server_url: str, token: str, name: str) -> WireSocket:
        return WireSocket(self, server_url, token, name).open()

    def tick(self) -> int:
        return next(self.counter)

    def call(self, server_url: str, method: str, path: str, token: str, body: dict | None = None,
             client_id: str | None = None, message_id: int | None = None) -> Request:
        """`method` /api`path` with a bearer token and a JSON body; the response lands in the returned Request."""
        address = urlsplit(server_url)
        content = json.dumps(body).encode() if body is not None else b""
        raw = socket.create_connection((address.hostname, address.port), timeout=10)
        raw.sendall((f"{method} /api{path} HTTP/1.1\r\nHost: {address.netloc}\r\nAuthorization: Bearer {token}\r\n"
                     f"Content-Type: application/json\r\nContent-Length: {len(content)}\r\n"
                     "Connection: close\r\n\r\n").encode() + content)
        request = Request(None, f"{method} {path}", body or {}, client_id=client_id, message_id=message_id)
        request.channel = RestCall(self, request, raw)
        self.rest_calls.append(request.channel)
        self.in_flight.append(request)
        return request

    def record(self, frame: Frame, owner: WireSocket) -> Frame:
        frame.index = self.tick()
        self.frames.append(frame)
        owner.frames.append(frame)
        if frame.kind == "event" and frame.name in ("message:new", "message:updated"):
            message = frame.payload["message"]
            conversation_id = message["conversation_id"]
            owner.newest[conversation_id] = max(owner.newest.get(conversation_id, 0), message["revision"])
            self._read_answers_first(frame, owner)
        return frame

    def answer(self, request: Request, answer: dict, index: int) -> None:
        request.answer = answer
        request.answered_index = index
        if request in self.in_flight:
            self.in_flight.remove(request)

    def _read_answers_first(self, frame: Frame, owner: WireSocket) -> None:
        """Before going on, read what the other connections of the requests this event may be about hold."""
        message = frame.payload["message"]
        for request in list(self.in_flight):
            if request.channel is not owner and request.is_about(frame.name, message):
                request.channel.drain()
        frame.checked_index = self.tick()

    def pump(self, until=lambda: False, timeout: float = 30, what: str = "the condition") -> None:
        """Read every connection until `until()` is true (TimeoutError after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while not until():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            self.pump_once(0.05)

    def pump_once(self, wait: float = 0.05) -> None:
        """Wait up to `wait` seconds for data, then read what each connection has (a client that
        reads slowly makes the server wait to write, and that changes what is measured)."""
        sources = [s for s in self.sockets if s.connected and not s.paused] + self.rest_calls
        if not sources:
            time.sleep(wait)
            return
        for source in ready_to_read(sources, wait):
            source.drain()  # also when reading another source drained it first (`_read_answers_first`)

    def close(self) -> None:
        for wire_socket in list(self.sockets):
            wire_socket.close()
