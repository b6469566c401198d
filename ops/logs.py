"""Log lines, and the request id each one carries.

Every HTTP request gets a request id: the caller's `X-Request-ID` if it is sane (1 to 128
letters, digits and `-_.:`), else a new one; the response returns it in `X-Request-ID`, the
Socket.IO transport's too (socket_request_ids). Every socket event (and connect, disconnect) gets
one too. While a request or event runs, its id is in a context variable (one per greenlet under
gevent), and every log line carries it.

LOG_FORMAT=text (default) writes `time level logger [request id]: message`; LOG_FORMAT=json one
JSON object per line: time, level, logger, message, request_id, and the traceback as `exception`.
What is logged never includes a request's body, query string, headers or cookies: an HTTP request
is logged as its method, route template (`/files/local/<token>`, never the token), status and
duration; a socket event as its name, outcome and duration.
"""
from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from flask import Flask, Response, g, request

from ops import metrics
from ops.log_format import JsonFormatter, RequestIdFilter, request_id

REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
# Probes and scrapes come every few seconds: logged at DEBUG when they succeed.
QUIET_ROUTES = {"/healthz", "/readyz", "/metrics"}

request_log = logging.getLogger("switchboard.requests")
socket_log = logging.getLogger("switchboard.socket_events")
FAULT_CODES = {"internal_error", "unavailable"}


def accepted_request_id(incoming: str | None) -> str:
    """The caller's id if it is sane, else a new one."""
    if incoming and SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


@contextmanager
def request_id_for(incoming: str | None = None) -> Iterator[str]:
    """Run a socket event (or any unit of work) under its own request id."""
    token = request_id.set(accepted_request_id(incoming))
    try:
        yield request_id.get()
    finally:
        request_id.reset(token)


def formatter_for(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure_logging(app: Flask) -> None:
    """One handler on the root logger (stderr) in the chosen format, with request ids. Debug and
    testing apps leave logging to the development server and pytest."""
    if not (app.debug or app.testing):
        _install_handler(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])


def configure_logging_early(environ: Mapping[str, str]) -> None:
    """Before the settings are read, so that their own warnings come out in LOG_FORMAT too."""
    if environ.get("SWITCHBOARD_ENV", "production") != "testing":
        _install_handler("json" if environ.get("LOG_FORMAT") == "json" else "text", logging.INFO)


# python-engineio and python-socketio give these loggers a bare stderr handler of their own when they have
# no level as their server is built: each of their errors came out twice, once without our format.
SOCKET_LIBRARY_LOGGERS = ("engineio.server", "socketio.server")


def _install_handler(log_format: str, level: str | int) -> None:
    for name in SOCKET_LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)  # their errors, through our handler only
    root = logging.getLogger()
    handler = next((handler for handler in root.handlers if getattr(handler, "switchboard", False)), None)
    if handler is None and root.handlers:
        return  # configured by whoever runs us (as logging.basicConfig would leave it)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.switchboard = True
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    handler.setFormatter(formatter_for(log_format))
    root.setLevel(level)


def init_request_ids(app: Flask) -> None:
    """Register first, so that the id is set before any other hook runs and logs."""
    app.before_request(_begin_request)
    app.after_request(_end_request)
    app.teardown_request(_forget_request_id)


def socket_request_ids(wsgi_app: Callable, path: str) -> Callable:
    """WSGI, around Socket.IO's middleware: its transport's own answers under `path` (the long-polling
    handshake and polls, served by Engine.IO before Flask sees them) carry `X-Request-ID` as Flask's do, and
    run under it; the handshake's id is the one its socket's connect is logged under (socket_queue). A
    WebSocket upgrade's 101 takes it from there too (realtime.websocket_handshake)."""
    def application(environ: dict, start_response: Callable):
        if not (environ.get("PATH_INFO") or "").startswith(path):
            return wsgi_app(environ, start_response)
        environ["HTTP_X_REQUEST_ID"] = incoming = accepted_request_id(environ.get("HTTP_X_REQUEST_ID"))

        def starting(status: str, headers: list, exc_info=None):
            return start_response(status, [*headers, (REQUEST_ID_HEADER, incoming)], exc_info)

        with request_id_for(incoming):
            return wsgi_app(environ, starting)
    return application


def _begin_request() -> None:
    g.request_started = time.monotonic()
    g.request_id_token = request_id.set(accepted_request_id(request.headers.get(REQUEST_ID_HEADER)))


def _end_request(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = request_id.get()
    started = g.get("request_started")
    if started is not None and not (request.url_rule is not None and request.url_rule.websocket):
        # A WebSocket's request lasts as long as its connection: counted as a connection, not timed.
        seconds = time.monotonic() - started
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        metrics.observe_http_request(route, request.method, response.status_code, seconds)
        log_request(request.method, route, response.status_code, seconds)
    return response


def log_request(method: str, route: str, status: int, seconds: float) -> None:
    """A request's one line (deployment.md), under the request id it answers with: Flask's (_end_request),
    and one answered before Flask sees it (a shutting-down instance's 503 to a new connection:
    blueprints.chat.socket_queue.refusing_new_connections). A health check that went well is DEBUG."""
    level = logging.DEBUG if route in QUIET_ROUTES and status < 400 else logging.INFO
    request_log.log(level, "%s %s %s %.1f ms", method, route, status, seconds * 1000)


def _forget_request_id(_error: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        request_id.reset(token)


def record_socket_event(name: str, answer: dict | None, seconds: float) -> None:
    """One line and one observation per socket event: its name, outcome and duration (never its payload)."""
    code = "ok" if answer is not None and answer.get("ok") else (answer or {}).get("error", {}).get("code", "error")
    outcome = "ok" if code == "ok" else "error" if code in FAULT_CODES or answer is None else "refused"
    metrics.observe_socket_event(name, outcome, seconds)
    socket_log.info("socket event %s %s %.1f ms", name, code, seconds * 1000)


def log_connection(event: str, outcome: str) -> None:
    """A socket's connect or disconnect, under its own request id."""
    socket_log.info("socket %s %s", event, outcome)
