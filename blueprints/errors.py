"""How an HTTP request is refused: the one JSON error envelope (payloads.error_payload) for the
API, the file routes and JSON clients; otherwise a small page in the user's language saying what
happened, with a way back (templates/errors/page.html), or a redirect to the login page.

Every refusal to those, whatever raised it (an action's ActionError, a CSRF failure, a 404, an
unauthenticated call), answers `{"ok": false, "error": {"code", "message"}}` with its status;
static files and the probes get werkzeug's plain page, which reads nothing.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, g, jsonify, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed, NotFound, ServiceUnavailable

from actions.errors import ActionError, InvalidInput, Unauthorized, internal_error
from blueprints.faults import OUTAGES, fault_answer, is_an_outage
from blueprints.http_unit import outside_units
from blueprints.site_paths import return_address
from extensions import login_manager
from payloads import error_payload


def wants_json() -> bool:
    """The API (`/api` itself too: a client that dropped the slash), the file routes, or a JSON client."""
    path = request.path
    return (path == "/api" or path.startswith(("/api/", "/files/"))
            or request.accept_mimetypes.best == "application/json")


def json_error(error: ActionError) -> tuple[Response, int]:
    response = jsonify(error_payload(error))
    response.headers.update(getattr(error, "headers", {}))  # e.g. a rate limit's Retry-After
    return response, error.status


# What an HTML route's refusal page says, by status (anything else: the last pair, with its status).
PAGE_TEXTS = {
    400: (_l("Bad request"), _l("The browser sent a request this server could not read.")),
    403: (_l("Not allowed"), _l("Your account may not open this page.")),
    404: (_l("Page not found"), _l("Nothing is at this address: the link may be wrong, or what it named is gone.")),
    405: (_l("Not possible here"), _l("This address does not take this kind of request.")),
    413: (_l("Too large"), _l("What was sent is larger than this server takes.")),
    429: (_l("Too many requests"), _l("Wait a moment, then try again.")),
    500: (_l("Something went wrong"), _l("The server could not answer. Nothing was changed: try again in a moment.")),
    503: (_l("Briefly unavailable"), _l("Switchboard cannot reach its data right now. Nothing was changed: "
                                        "try again in a moment.")),
}
OTHER_TEXTS = (_l("This did not work"), _l("The server could not answer this request."))
CSRF_TEXTS = (_l("The form has expired"), _l("Go back, reload the page and try again."))


def error_page(error: HTTPException, texts: tuple | None = None) -> Response | HTTPException:
    """An HTML route's refusal as a page in the user's language with a link back to the chat, with
    werkzeug's status and headers (a 405's Allow, a 429's Retry-After). Werkzeug's own bare page if
    the page cannot be drawn (the fault that made a 500 may be in what drawing it reads)."""
    if error.response is not None:  # abort(response): the view chose the answer itself
        return error
    if outside_units(request.endpoint):  # a static file or a probe: no reader, and drawing reads the user
        return error
    heading, text = texts or PAGE_TEXTS.get(error.code, OTHER_TEXTS)
    try:
        body = render_template("errors/page.html", heading=heading, text=text, status=error.code)
    except Exception:  # noqa: BLE001 - the refusal must still be answered
        current_app.logger.exception("the error page for %s could not be drawn", error.code)
        return error
    response = error.get_response()
    response.set_data(body)
    response.content_type = "text/html; charset=utf-8"
    return response


def names_a_route(methods: list[str] | None) -> bool:
    """Whether the request's path reaches a route under one of `methods` (a 405's other methods).
    Werkzeug checks a rule's methods before its converters, so `POST /api/conversations/0/messages`,
    whose `<id:>` refuses 0, was answered 405 with GET as the method to use, where no route names it."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in methods or ():
        try:
            adapter.match(method=method)
        except (NotFound, MethodNotAllowed):
            continue
        except HTTPException:  # a redirect (a missing trailing slash): the path names a route
            pass
        return True
    return False


def outage(error: Exception):
    """The database or the file storage unreachable: 503 `unavailable` / `storage_unavailable`, retryable
    (an OperationalError that is a fault, such as SQLite's "no such table", stays a logged 500)."""
    answer = fault_answer(error, f"{request.method} {request.path}")
    if wants_json():
        return json_error(answer)
    if answer.status >= 500 and answer.code == "internal_error":
        return InternalServerError()
    return outage_page(answer)


def outage_page(answer: ActionError) -> Response | HTTPException:
    """The styled 503 page, drawn for nobody in particular: whoever is logged in is in the database
    that cannot be reached (and a user loaded before the fault would be read again), so the page's
    chrome is an anonymous visitor's (language from the cookie or Accept-Language, theme from its cookie)."""
    g._login_user = login_manager.anonymous_user()  # Flask-Login's per-request user: never loaded now
    refusal = ServiceUnavailable(answer.message)
    page = error_page(refusal)
    if isinstance(page, HTTPException):  # the page could not be drawn: the words alone
        return Response(answer.message, status=answer.status, mimetype="text/plain")
    page.headers.update(getattr(answer, "headers", {}))
    return page


def init_app(app: Flask) -> None:
    @app.errorhandler(ActionError)
    def action_error(error: ActionError):
        return json_error(error)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        if wants_json():
            return json_error(InvalidInput("csrf_failed", error.description))
        return error_page(error, CSRF_TEXTS)

    @app.errorhandler(InternalServerError)
    def server_fault(error: InternalServerError):
        # Flask has logged the fault with its traceback; the caller gets the code the socket acks
        # use, and never the traceback (nor the exception's text).
        if error.original_exception is not None and is_an_outage(error.original_exception):
            return outage(error.original_exception)  # e.g. the commit after the view, the database gone
        if wants_json():
            return json_error(internal_error())
        return error_page(error)

    for outage_type in OUTAGES:
        app.register_error_handler(outage_type, outage)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if isinstance(error, MethodNotAllowed) and not names_a_route(error.valid_methods):
            error = NotFound()  # an id out of bounds: no route under any method (docs/protocol.md, Input)
        if wants_json():
            code = (error.name or "error").lower().replace(" ", "_")
            return json_error(ActionError(code, error.description or error.name, error.code or 500))
        return error_page(error)

    @login_manager.unauthorized_handler
    def unauthorized():
        if wants_json():
            return json_error(Unauthorized("unauthorized", "Log in or send a bearer token."))
        return redirect(url_for("auth.login", next=return_address(url_for("chat.index"))))
