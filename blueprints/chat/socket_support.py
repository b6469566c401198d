"""What every Socket.IO handler shares: the ack format, the unit of work, and who is asking.

`socket_event(name)` registers a handler that receives the user of the socket's principal
(blueprints.identity, resolved again for each event) and a validated payload dict; it
answers the ack with `{ok: true, ...}` or `{ok: false, error: {code, message}}`. The
handler runs in one unit of work (events.unit_of_work): committed, or rolled back on any
error. The events it commits are held until python-socketio has written the ack, which it
does right after the handler returns: they are released then (`after_ack`).

Each socket's events run one at a time, in the order they arrived, and past SOCKET_EVENT_QUEUE
waiting the next ones are refused with `busy` before they reach a handler at all
(blueprints.chat.socket_queue, installed on the server by app.register_extensions).
"""
from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from functools import wraps

from flask import request
from werkzeug.exceptions import NotFound

from actions.errors import ActionError, Unauthorized
from actions.rate_limits import RefusedConnection
from actions.validation import check_payload
from blueprints.chat.socket_queue import after_this_ack
from blueprints.faults import fault_answer
from blueprints.identity import socket_principal, socket_user_id
from events.admission import sending
from events.unit_of_work import HeldEvents, atomic
from extensions import socketio
from models import User
from ops.logs import record_socket_event
from payloads import error_payload

log = logging.getLogger(__name__)


def failure(error: ActionError) -> dict:
    return error_payload(error)


def after_ack(release: Callable[[], None]) -> None:
    """Run `release` once the current handler's ack is on its way to the client."""
    if after_this_ack(release):  # a queued event: its socket's queue runs it after the ack
        return
    gevent = sys.modules.get("gevent")
    current = gevent.getcurrent() if gevent is not None else None
    if gevent is not None and isinstance(current, gevent.Greenlet):
        current.link(lambda _greenlet: release())
    else:  # threading mode (development server, test client): the ack is already written
        release()


Admission = Callable[[int, dict], None]


def socket_event(name: str, admit: Admission | None = None, sends_a_message: bool = False) -> Callable:
    """`admit(user_id, payload)`, if given, runs first, with the user id the socket remembered and
    before any query or unit of work: what refuses there (the send rate) costs next to nothing.
    `sends_a_message`: the event's unit waits in the senders' line at the gate (events.admission)."""
    def register(handler: Callable[[User, dict], dict]) -> Callable:
        @wraps(handler)
        def run(*args):
            held = HeldEvents().start()
            started, answer = time.monotonic(), None
            try:
                with sending(sends_a_message):
                    answer = _answer(name, handler, args, admit)
                return answer
            finally:
                held.stop()
                if held:
                    after_ack(held.release)
                record_socket_event(name, answer, time.monotonic() - started)

        socketio.on_event(name, run)
        return run

    return register


def match_socket_path(app) -> None:
    """A rule for the Socket.IO path, which Engine.IO's middleware answers before Flask sees it: each
    socket event runs in a request context made from its connection's request (Flask-SocketIO), and
    without a rule that matches, every event's context raised a NotFound and kept it, traceback and
    frames, as long as the event waited (thousands at once in a reconnect storm; docs/benchmarks.md)."""
    path = "/" + socketio.sockio_mw.engineio_path.strip("/") + "/"
    app.add_url_rule(path, "socket_io_path", _never_reached_over_http, strict_slashes=False)  # with or without


def _never_reached_over_http():
    raise NotFound()


def _cut_after_ack() -> None:
    """Disconnect this socket once its ack is written: the client reads why before it is cut
    (disconnecting first would drop the ack with the connection)."""
    sid, namespace = request.sid, request.namespace
    after_ack(lambda: socketio.server.disconnect(sid, namespace=namespace))


def _answer(name: str, handler: Callable[[User, dict], dict], args: tuple, admit: Admission | None) -> dict:
    try:
        if admit is not None and (user_id := socket_user_id()) is not None:  # none: unauthorized below
            admit(user_id, args[0] if args and isinstance(args[0], dict) else {})
        with atomic():
            principal = socket_principal()
            if principal is None:  # its session ended, its token was revoked, its user banned
                _cut_after_ack()
                return failure(Unauthorized("unauthorized", "Log in again."))
            result = handler(principal.user, check_payload(args[0] if args else None))
    except ActionError as error:
        if error.code == "rate_limited":
            _count_rate_limited()
        return failure(error)
    except Exception as error:  # the database unreachable (unavailable), or a fault (internal_error)
        return failure(fault_answer(error, f"socket event {name}"))
    return {"ok": True, **result}


def _count_rate_limited() -> None:
    """A socket refused `rate_limited` SOCKET_BUSY_DISCONNECT times within a minute is cut, as one
    that sends into its full queue (actions.rate_limits.RefusedConnection, the gateway's rule too)."""
    environ = request.environ  # the connection's own (python-socketio keeps one per connection)
    if environ.setdefault("switchboard.rate_limited", RefusedConnection()).refused():
        sid, namespace = request.sid, request.namespace
        log.warning("socket %s kept sending while rate limited: disconnected", sid)
        eio_sid = socketio.server.manager.eio_sid_from_sid(sid, namespace)

        def cut() -> None:  # the whole connection, as blueprints.chat.socket_queue cuts a busy one
            socketio.server.disconnect(sid, namespace=namespace)
            socketio.server.eio.disconnect(eio_sid)
        after_ack(cut)
