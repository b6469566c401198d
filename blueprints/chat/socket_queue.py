"""Each socket's events, one at a time and in the order they arrived; a full queue refuses at once.

python-socketio starts a greenlet for every incoming event (`Server._handle_event`, with
`async_handlers`), so a socket emitting a thousand events at once puts a thousand handlers on
the one worker loop, and everyone else's events wait behind them. Refusing inside the handler
is too late: each refused greenlet still costs a Flask request context. So `install` takes over
`_handle_event`, which the socket's reader greenlet calls for each event as it is read:

- the event joins its socket's queue if fewer than SOCKET_EVENT_QUEUE of the socket's events
  are waiting or running; otherwise its ack is answered `busy` right there, before any greenlet,
  context or database work, and at the SOCKET_BUSY_DISCONNECT-th refusal since the socket's
  queue was last empty its connection is closed (0: never);
- one greenlet per socket with events takes them in order and runs each through
  python-socketio's own `_handle_event_internal` (handler, then ack), waits until the socket's
  writer has put the ack on the wire (`_wait_until_written`), then runs the callbacks the
  handler asked for with `after_ack` (blueprints.chat.socket_support releases the event's
  changes there), then the next event. A socket's events therefore run in the order the client
  sent them, and never two at once.

Events still waiting when their socket disconnects are dropped unanswered (Flask-SocketIO
ignores events of a socket it no longer knows); a client sends them again after reconnecting.
With `async_handlers` off (the Flask-SocketIO test client) each event runs at once, inline.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from socketio import packet

from actions.errors import ActionError, unknown_event
from gateway.routes import PATH as GATEWAY_PATH
from ops.logs import REQUEST_ID_HEADER, log_connection, log_request, request_id_for
from ops.metrics import observe_send_ack
from payloads import error_payload
from realtime.answer_first import wait_until_written
from realtime.long_polling import close_at_once
from realtime.websocket_frames import frames_socket

log = logging.getLogger(__name__)

BUSY = ActionError("busy", "Too many events of this connection are waiting: wait for their answers, then try again.",
                   status=429)

# The names python-socketio gives the connection's own handlers and the catch-all: a client's EVENT packet
# named so would run that handler (a "disconnect" event made its socket count as gone for presence).
NOT_CLIENT_EVENTS = frozenset({"connect", "disconnect", "*"})

_after_ack: ContextVar[list[Callable[[], None]] | None] = ContextVar("switchboard_after_ack", default=None)


def after_this_ack(callback: Callable[[], None]) -> bool:
    """Run `callback` once the current event's ack is written; False outside a queued event."""
    callbacks = _after_ack.get()
    if callbacks is None:
        return False
    callbacks.append(callback)
    return True


@dataclass
class _Lane:
    waiting: deque = field(default_factory=deque)  # (eio_sid, namespace, ack id, data, arrival time)
    running: int = 0  # 1 while an event taken from `waiting` runs
    draining: bool = False  # a task takes the waiting events
    refused: int = 0  # since the queue was last empty


class SocketQueues:
    """The queues of one python-socketio server's sockets, by socket id."""

    def __init__(self, server) -> None:
        self.server = server
        self.lanes: dict[str, _Lane] = {}
        self._lock = threading.Lock()  # gevent's own once patched; real in the threading mode
        self.closing: set[str] = set()  # sockets being closed at shutdown: their new events are not run

    def handle_event(self, eio_sid: str, namespace: str | None, ack_id: int | None, data: list) -> None:
        """In place of python-socketio's `Server._handle_event`."""
        namespace = namespace or "/"
        sid = self.server.manager.sid_from_eio_sid(eio_sid, namespace)
        if not self.server.manager.is_connected(sid, namespace):
            return  # python-socketio ignores these too
        if sid in self.closing:
            return  # as if it came after the close: unanswered, the client sends it again elsewhere
        config = self.server.environ[eio_sid]["flask.app"].config
        with self._lock:
            lane = self.lanes.setdefault(sid, _Lane())
            full = len(lane.waiting) + lane.running >= config["SOCKET_EVENT_QUEUE"]
            if not full:
                lane.waiting.append((eio_sid, namespace, ack_id, data, time.monotonic()))
                start, lane.draining = not lane.draining, True
        if full:
            self._refuse(sid, eio_sid, namespace, ack_id, lane, config["SOCKET_BUSY_DISCONNECT"])
        elif start and self.server.async_handlers:
            self.server.start_background_task(self._drain, sid, lane)
        elif start:
            self._drain(sid, lane)

    def in_flight(self, sid: str) -> int:
        lane = self.lanes.get(sid)
        return len(lane.waiting) + lane.running if lane is not None else 0

    def _refuse(self, sid: str, eio_sid: str, namespace: str, ack_id: int | None, lane: _Lane,
                refusals_before_disconnect: int) -> None:
        lane.refused += 1
        self._answer(eio_sid, namespace, ack_id, BUSY)
        if lane.refused == refusals_before_disconnect:
            # The whole connection, not only the namespace: a client that ignores being
            # disconnected would otherwise go on sending packets the reader has to decode.
            log.warning("socket %s kept sending into its full queue: disconnected", sid)
            self.server.disconnect(sid, namespace=namespace)
            self.server.eio.disconnect(eio_sid)

    def _answer(self, eio_sid: str, namespace: str, ack_id: int | None, error: ActionError) -> None:
        """The error ack of an event that no handler runs (none if the client asked for no ack)."""
        if ack_id is not None:
            self.server._send_packet(eio_sid, self.server.packet_class(
                packet.ACK, namespace=namespace, id=ack_id, data=[error_payload(error)]))

    def _drain(self, sid: str, lane: _Lane) -> None:
        while True:
            with self._lock:
                lane.running = 0
                if not lane.waiting:
                    lane.draining = False
                    if self.lanes.get(sid) is lane:
                        del self.lanes[sid]  # nothing in flight: forget the socket (and its refusals)
                    return
                event, lane.running = lane.waiting.popleft(), 1
            self._run(sid, *event)

    def _run(self, sid: str, eio_sid: str, namespace: str, ack_id: int | None, data: list,
             arrived: float) -> None:
        with request_id_for():  # every line logged about this event, its after-ack callbacks included
            self._run_event(sid, eio_sid, namespace, ack_id, data, arrived)

    def _run_event(self, sid: str, eio_sid: str, namespace: str, ack_id: int | None, data: list,
                   arrived: float) -> None:
        callbacks: list[Callable[[], None]] = []
        token = _after_ack.set(callbacks)
        try:
            if not _client_event(data):  # answered as any event the server does not have (docs/protocol.md, Errors)
                self._answer(eio_sid, namespace, ack_id, unknown_event())
                return
            self.server._handle_event_internal(self.server, sid, eio_sid, data, namespace, ack_id)
            if data and data[0] == "message:send" and ack_id is not None:
                observe_send_ack(time.monotonic() - arrived)  # its wait in the queue included
        except Exception:  # the handlers answer their own errors; this is python-socketio failing
            log.exception("socket event %r of %s failed", data[0] if data else None, sid)
        finally:
            _after_ack.reset(token)
            if callbacks:
                self._wait_until_written(eio_sid)
            for callback in callbacks:
                try:
                    callback()
                except Exception:
                    log.exception("an after-ack callback of socket %s failed", sid)


    def _wait_until_written(self, eio_sid: str) -> None:
        """The ack is the newest packet in the connection's outgoing queue (nothing yielded since
        python-socketio put it there), not on the wire yet: mark it, and wait until the
        connection's writer has taken it and written it (realtime.answer_first: bounded only for
        a client that does not read), so the ack is written before the changes reach other
        sockets, however many frames were queued before it."""
        connection = self.server.eio.sockets.get(eio_sid)
        frames = frames_socket(connection)
        if frames is None:  # long-polling: the client fetches the ack; nothing to wait for here
            return
        taken = _mark_newest(connection.queue)
        if taken is None:
            return
        wait_until_written(lambda: bool(taken) and not frames.writing, lambda: frames.writing,
                           lambda: connection.closed, self.server.sleep, eio_sid)


class _Announcing:
    """A queued packet that tells when its connection's writer takes it (encodes it to write it)."""

    def __init__(self, packet, taken: list) -> None:
        self._packet = packet
        self._taken = taken

    def encode(self, *args, **kwargs):
        self._taken.append(True)
        return self._packet.encode(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._packet, name)


def _client_event(data) -> bool:
    """An EVENT packet's data names an event a client may send: a list whose first item is a string
    other than the connection's own (python-socketio indexes its handlers with it as it comes)."""
    return isinstance(data, list) and bool(data) and isinstance(data[0], str) and data[0] not in NOT_CLIENT_EVENTS


def _mark_newest(queue) -> list | None:
    """Replace the newest packet of an engine.io connection's queue (gevent's or the standard
    library's: both keep their items in a deque, `queue`) with one that records, in the list
    returned, when it is taken; None if nothing is queued (it has been taken already)."""
    items = queue.queue
    try:
        newest = items[-1]
        if newest is None:  # the connection is closing
            return None
        taken: list = []
        items[-1] = _Announcing(newest, taken)
    except IndexError:  # taken already (the threading mode's writer is a thread of its own)
        return None
    return taken


def _with_request_id(trigger: Callable) -> Callable:
    """Connects and disconnects run under a request id of their own (the connecting request's
    X-Request-ID if sane) and are logged with it; events get theirs in SocketQueues._run."""
    def trigger_event(event: str, namespace: str, *args):
        if event not in ("connect", "disconnect"):
            return trigger(event, namespace, *args)
        environ = args[1] if event == "connect" and len(args) > 1 and isinstance(args[1], dict) else {}
        with request_id_for(environ.get("HTTP_X_REQUEST_ID")):
            outcome = "refused"
            try:
                result = trigger(event, namespace, *args)
                outcome = "refused" if result is False else "ok"
                return result
            finally:
                log_connection(event, outcome)
    return trigger_event


def _closing_unreadable(server) -> Callable:
    """python-socketio's reading of an Engine.IO message, except that a Socket.IO packet that does not
    decode (no packet type, JSON with no event name to answer: blueprints.client_json, a binary placeholder
    naming no attachment) or that it refuses (a CONNECT_ERROR, an unknown type, a binary packet of no
    connected namespace) closes its connection, as a long-polling post that does not decode does
    (docs/protocol.md); python-engineio logged a traceback and read on."""
    handle = server._handle_eio_message

    def handle_eio_message(eio_sid: str, data) -> None:
        try:
            if data == "":  # no packet type: python-socketio read it as an event of no data, and ignored it
                raise ValueError("no packet type")
            handle(eio_sid, data)
        except (ValueError, LookupError, TypeError) as error:  # MalformedJSON; a binary placeholder of no attachment
            log.warning("socket connection %s sent a packet that does not decode (%s): closed", eio_sid, error)
            # Not waiting for the close packet to be taken: on long-polling the client takes it with a
            # poll, and the post carrying this packet is answered only once this returns.
            connection = server.eio.sockets.get(eio_sid)
            if connection is not None:
                close_at_once(connection)
    return handle_eio_message


def install(server) -> SocketQueues:
    """Route the server's incoming events through per-socket queues (once per server)."""
    queues = SocketQueues(server)
    server._handle_event = queues.handle_event
    server.eio.on("message", _closing_unreadable(server))
    server._trigger_event = _with_request_id(server._trigger_event)
    server.switchboard_queues = queues  # for close_connections_gracefully
    return queues


def close_connections_gracefully(server, seconds: float) -> int:
    """At shutdown (SIGTERM, gunicorn.conf.py): close every connection of this process once the
    event it is running, if any, has been answered and its changes released, waiting `seconds` at
    most in all; events that arrive meanwhile are not run (nor answered: like events sent after a
    close, their client sends them again after reconnecting, with the same client_id for a send,
    so no event is run without its ack reaching its client). The connection is then ended without a
    Socket.IO or Engine.IO goodbye, which every Socket.IO client takes as a lost connection: it
    reconnects, to another instance, and resyncs. Returns how many connections were closed."""
    queues = getattr(server, "switchboard_queues", None)
    deadline = time.monotonic() + seconds
    closed = 0
    waiting = list(server.eio.sockets)
    if queues is not None:  # from now on their new events are not run: what is in flight only
        queues.closing.update(server.manager.sid_from_eio_sid(eio_sid, "/") for eio_sid in waiting)
    while waiting:
        busy = []
        for eio_sid in waiting:
            sid = server.manager.sid_from_eio_sid(eio_sid, "/")
            if queues is not None and sid is not None and queues.in_flight(sid) and time.monotonic() < deadline:
                busy.append(eio_sid)
                continue
            connection = server.eio.sockets.pop(eio_sid, None)
            if connection is not None:
                # abort: no Engine.IO CLOSE packet, which python-socketio's client takes as final (it
                # would not reconnect); the connection ends after what is queued on it is written.
                connection.close(abort=True, reason=server.eio.reason.SERVER_DISCONNECT)
                closed += 1
        waiting = busy
        if waiting:
            server.sleep(0.05)
    return closed


def refusing_new_connections(wsgi_app: Callable, closing: Callable[[], bool]) -> Callable:
    """WSGI: once `closing()` (SIGTERM, gunicorn.conf.py), a new Socket.IO connection (an Engine.IO
    handshake: `/socket.io/` without a `sid`) or gateway connection (a request to `/ws/im`, each one a
    new WebSocket: gateway.routes) is answered 503, so that the proxy tries another
    instance (nginx: `proxy_next_upstream http_503`) and a direct client tries again; requests of
    connections already open, and every other request, are served until the process exits. The 503 carries
    `X-Request-ID` as every other answer does (ops.logs: the caller's if sane, else a new one), and is logged
    in one line under it as every other request is (ops.logs.log_request)."""
    def application(environ: dict, start_response: Callable):
        path = environ.get("PATH_INFO", "")
        if closing() and (path == GATEWAY_PATH or path.startswith("/socket.io/")
                          and "sid" not in parse_qs(environ.get("QUERY_STRING", ""))):
            started = time.monotonic()
            with request_id_for(environ.get("HTTP_X_REQUEST_ID")) as request_id:
                start_response("503 Service Unavailable", [
                    ("Content-Type", "text/plain"), ("Retry-After", "1"), (REQUEST_ID_HEADER, request_id)])
                log_request(environ.get("REQUEST_METHOD", "GET"),
                                    GATEWAY_PATH if path == GATEWAY_PATH else "/socket.io/", 503,
                                    time.monotonic() - started)
            return [b"This instance is shutting down: connect again.\n"]
        return wsgi_app(environ, start_response)

    return application
