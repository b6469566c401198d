"""Socket.IO namespace /qr-login: the login page that waits for a QR-code approval.

The one place that accepts anonymous sockets, and all they can do is ask for a code and for
the ticket of an approved one (docs/protocol.md). The chat's namespace "/" still refuses them.

Client -> server (answered through the ack):
- `qr:request` {} -> {ok, qr: {url, image, expires_in}}: a new code bound to this socket and this
  browser (its session cookie); counted per client address (429-like `rate_limited` ack).
- `qr:ticket` {} -> {ok, ticket}: after `qr:approved`, the single-use ticket to POST to /login/qr.

Server -> client: `qr:code` {qr} (the next code, every QR_LOGIN_ROTATE_SECONDS), `qr:scanned`,
`qr:approved`, `qr:refused` (from the approving device, across processes as facts), `qr:expired`
(no more codes: ask again).
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import datetime

from flask import Flask, current_app, request, session, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

from actions import qr_login
from actions.errors import ActionError, unknown_event
from actions.validation import check_payload
from blueprints.auth.qr_image import qr_data_uri
from blueprints.faults import fault_answer
from events.unit_of_work import atomic
from extensions import socketio
from models.time import utcnow
from payloads import error_payload
from realtime import QR_LOGIN_NAMESPACE
from realtime.socketio_adapter import start_receiving

log = logging.getLogger(__name__)
BROWSER_KEY = "qr_browser"  # in the socket's own session
LINK_PREFIX = "qr_link_prefix"
# This process's waiting sockets: sid -> the number of its current series of codes. A new
# `qr:request` starts a new series, and the previous series' task stops at its next turn.
_series: dict[str, int] = {}


@socketio.on("connect", namespace=QR_LOGIN_NAMESPACE)
def on_connect(auth=None):
    """Anyone may connect here; the socket remembers its browser (session cookie) and origin."""
    start_receiving(current_app)
    environ = _as_the_app_sees_it(request.environ)
    session[BROWSER_KEY] = qr_login.browser_key(session.get("csrf_token"))
    session["qr_address"] = environ.get("REMOTE_ADDR")
    session["qr_user_agent"] = request.headers.get("User-Agent", "")
    # Codes are links to /qr/<token> on the host this page was loaded from.
    session[LINK_PREFIX] = (f"{environ['wsgi.url_scheme']}://{environ.get('HTTP_HOST') or request.host}"
                            + url_for("auth.qr_approve", token="-")[:-1])


@socketio.on("disconnect", namespace=QR_LOGIN_NAMESPACE)
def on_disconnect(reason=None):
    """The page went away: its codes are void, approved or not."""
    _series.pop(request.sid, None)
    try:
        with atomic():
            qr_login.close_qr_logins(request.sid)
    except Exception as error:  # raised here, python-socketio would keep the socket in its rooms (as the chat)
        fault_answer(error, "qr-login disconnect")


def _answer(name: str, args: tuple, handler: Callable[[], dict]) -> dict:
    """The ack of an event whose payload (its first argument; none counts as {}) must be an object, as on
    the chat's namespace (docs/protocol.md: invalid_payload), whatever else it holds."""
    try:
        check_payload(args[0] if args else None)
        with atomic():
            return {"ok": True, **handler()}
    except ActionError as error:
        return error_payload(error)
    except Exception as error:  # the database unreachable (unavailable), or a fault (internal_error)
        return error_payload(fault_answer(error, f"qr-login event {name}"))


@socketio.on("qr:request", namespace=QR_LOGIN_NAMESPACE)
def on_qr_request(*args):
    """The page asks for a code; the next ones follow as `qr:code` until QR_LOGIN_CODES were shown."""
    sid = request.sid
    answer = _answer("qr:request", args, lambda: {"qr": _code_payload(qr_login.request_qr_login(
        sid, session.get(BROWSER_KEY, ""), session.get("qr_user_agent", ""), session.get("qr_address")),
        session[LINK_PREFIX])})
    if answer["ok"]:
        series = _series[sid] = _series.get(sid, 0) + 1
        socketio.start_background_task(_keep_rotating, current_app._get_current_object(), sid, series,
                                       session[LINK_PREFIX])
    return answer


@socketio.on("qr:ticket", namespace=QR_LOGIN_NAMESPACE)
def on_qr_ticket(*args):
    """After `qr:approved`: the single-use ticket, to this socket only."""
    sid = request.sid
    return _answer("qr:ticket", args, lambda: {"ticket": qr_login.issue_qr_ticket(sid)})


def _code_payload(issued: qr_login.IssuedQrLogin, link_prefix: str) -> dict:
    link = link_prefix + issued.token
    return {"url": link, "image": qr_data_uri(link), "expires_in": _seconds_until(issued.expires_at)}


def _seconds_until(moment: datetime) -> int:
    """Whole seconds, rounded up (docs/protocol.md: `expires_in`)."""
    return max(0, math.ceil((moment - utcnow()).total_seconds()))


def _keep_rotating(app: Flask, sid: str, series: int, link_prefix: str) -> None:
    """Replace the socket's code when it expires (QR_LOGIN_CODES codes in all), then say `qr:expired`.
    A scanned code is not replaced: it waits for its decision."""
    shown = 1
    wait = app.config["QR_LOGIN_ROTATE_SECONDS"]
    while True:
        socketio.sleep(wait + 0.05)
        if _series.get(sid) != series:
            return
        try:
            with app.app_context():
                advance = qr_login.advance_qr_login(sid, may_issue=shown < app.config["QR_LOGIN_CODES"])
                if advance.outcome == "code":
                    socketio.emit("qr:code", {"qr": _code_payload(advance.issued, link_prefix)}, to=sid,
                                  namespace=QR_LOGIN_NAMESPACE)
                    shown += 1
                    wait = _seconds_until(advance.issued.expires_at)
                elif advance.outcome == "wait":
                    wait = _seconds_until(advance.wait_until)
                else:
                    if advance.outcome == "expired":
                        socketio.emit("qr:expired", {}, to=sid, namespace=QR_LOGIN_NAMESPACE)
                    if _series.get(sid) == series:
                        del _series[sid]
                    return
        except Exception:
            log.exception("the QR codes of socket %s could not be renewed", sid)
            return


def _as_the_app_sees_it(environ: dict) -> dict:
    """The socket's environ after TRUSTED_PROXIES: Socket.IO's middleware wraps the app outside
    ProxyFix, so a socket's handshake is read here as ProxyFix reads requests (client address, scheme, host)."""
    count = current_app.config["TRUSTED_PROXIES"]
    if not count:
        return environ
    seen: dict = {}

    def capture(fixed: dict, start_response) -> list:
        seen.update(fixed)
        return []

    ProxyFix(capture, x_for=count, x_proto=count, x_host=count)(dict(environ), lambda *args: None)
    return seen


@socketio.on("*", namespace=QR_LOGIN_NAMESPACE)
def on_unknown_event(_event, *_payload):
    """As the chat's namespace does (blueprints.chat.events): an event with no handler is answered."""
    return error_payload(unknown_event())
