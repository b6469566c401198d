"""What every Socket.IO handler shares: who is connected, and the ack format.

`socket_event(name)` registers a handler that receives the authenticated user and a
validated payload dict; it answers the ack with `{ok: true, ...}` or
`{ok: false, error: {code, message}}`. Events the handler's actions publish are held
until the ack is on its way, then released (see realtime.publisher).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from flask import session
from flask_socketio import disconnect

from actions.errors import ActionError, Unauthorized
from actions.validation import check_payload
from extensions import db, socketio
from models import User
from realtime import publisher

log = logging.getLogger(__name__)
SESSION_KEY = "socket_user_id"


def remember_socket_user(user: User) -> None:
    session[SESSION_KEY] = user.id


def socket_user_id() -> int | None:
    return session.get(SESSION_KEY)


def socket_user() -> User | None:
    """The connected user, re-read per event so a deactivated account stops at once."""
    user_id = session.get(SESSION_KEY)
    user = db.session.get(User, user_id) if user_id is not None else None
    return user if user is not None and user.active else None


def failure(error: ActionError) -> dict:
    return {"ok": False, "error": error.as_dict()}


def socket_event(name: str) -> Callable:
    def register(handler: Callable[[User, dict], dict]) -> Callable:
        @wraps(handler)
        def run(*args):
            user = socket_user()
            if user is None:
                disconnect()
                return failure(Unauthorized("unauthorized", "Log in again."))
            publisher.hold_events()
            try:
                result = handler(user, check_payload(args[0] if args else None))
            except ActionError as error:
                db.session.rollback()
                publisher.take_held_events()
                return failure(error)
            except Exception:
                log.exception("socket event %s failed", name)
                db.session.rollback()
                publisher.take_held_events()
                return failure(ActionError("internal_error", "Something went wrong; nothing was changed."))
            held = publisher.take_held_events()
            if held:
                socketio.start_background_task(publisher.release, held)
            return {"ok": True, **result}

        socketio.on_event(name, run)
        return run

    return register
