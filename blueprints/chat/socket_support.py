"""What every Socket.IO handler shares: the ack format, the unit of work, and who is asking.

`socket_event(name)` registers a handler that receives the user of the socket's principal
(blueprints.identity, resolved again for each event) and a validated payload dict; it
answers the ack with `{ok: true, ...}` or `{ok: false, error: {code, message}}`. The
handler runs in one unit of work (events.unit_of_work): committed, or rolled back on any
error. The events it commits are held until python-socketio has written the ack, which it
does in the same greenlet after the handler returns: they are released when that greenlet
ends (gevent's `link`).

Each socket's events run one at a time, in the order they arrived (blueprints.chat.socket_queue):
an event waits for the socket's previous one to be acknowledged and its events released. Past
SOCKET_EVENT_QUEUE events in flight the socket's next ones are refused at once with `busy`,
before any database work; past SOCKET_BUSY_DISCONNECT refusals the socket is disconnected.
"""
from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import wraps

from flask import current_app, request
from flask_socketio import disconnect

from actions.errors import ActionError, Unauthorized
from actions.validation import check_payload
from blueprints.chat.socket_queue import Refusal, SocketQueues, Turn
from blueprints.identity import socket_principal
from events.unit_of_work import HeldEvents, atomic
from extensions import socketio
from models import User
from payloads import error_payload

log = logging.getLogger(__name__)

queues = SocketQueues()
BUSY = ActionError("busy", "Too many events of this connection are waiting: wait for their answers, then try again.",
                   status=429)


def failure(error: ActionError) -> dict:
    return error_payload(error)


def after_ack(release: Callable[[], None]) -> None:
    """Run `release` once the current handler's ack is on its way to the client."""
    gevent = sys.modules.get("gevent")
    current = gevent.getcurrent() if gevent is not None else None
    if gevent is not None and isinstance(current, gevent.Greenlet):
        current.link(lambda _greenlet: release())
    else:  # threading mode (development server, test client): the ack is already written
        release()


def socket_event(name: str) -> Callable:
    def register(handler: Callable[[User, dict], dict]) -> Callable:
        @wraps(handler)
        def run(*args):
            turn = _admit()
            if isinstance(turn, Refusal):
                return _refuse(name, turn)
            held = HeldEvents()
            try:
                turn.wait()
                held.start()
                return _answer(name, handler, args)
            finally:
                held.stop()
                after_ack(lambda: _pass_on(held, turn))

        socketio.on_event(name, run)
        return run

    return register


def _admit() -> Turn | Refusal:
    config = current_app.config
    return queues.admit(request.sid, config["SOCKET_EVENT_QUEUE"], config["SOCKET_BUSY_DISCONNECT"])


def _refuse(name: str, refusal: Refusal) -> dict:
    if refusal.disconnect:
        log.warning("socket %s kept sending into its full queue (%s): disconnected", request.sid, name)
        disconnect()
    return failure(BUSY)


def _pass_on(held: HeldEvents, turn: Turn) -> None:
    """After the ack: the event's changes go out, then the socket's next event may run."""
    try:
        if held:
            held.release()
    finally:
        turn.finish()


def _answer(name: str, handler: Callable[[User, dict], dict], args: tuple) -> dict:
    try:
        with atomic():
            principal = socket_principal()
            if principal is None:
                disconnect()
                return failure(Unauthorized("unauthorized", "Log in again."))
            result = handler(principal.user, check_payload(args[0] if args else None))
    except ActionError as error:
        return failure(error)
    except Exception:
        log.exception("socket event %s failed", name)
        return failure(ActionError("internal_error", "Something went wrong; nothing was changed."))
    return {"ok": True, **result}
