"""Who is calling the JSON API and the file routes (blueprints.identity), and the CSRF check of
cookie-authenticated writes.

Cookie-authenticated writes must carry the CSRF token in the X-CSRFToken header. It is
read from the header only, never from the body: reading the form would consume and
spool an upload before the view could stream it. Bearer requests carry no ambient
credentials, so they need no CSRF token.
"""
from __future__ import annotations

from flask import current_app, g, request
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from actions.errors import InvalidInput
from blueprints.identity import request_principal
from models import User

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def authenticate_request(public_endpoints: set[str]) -> None:
    """Set `g.principal`, or refuse the request (401, or 400 csrf_failed)."""
    if request.endpoint in public_endpoints:
        return
    principal = request_principal()
    if (principal.method == "session" and request.method not in SAFE_METHODS
            and current_app.config.get("WTF_CSRF_ENABLED", True)):
        header = next((request.headers[name] for name in current_app.config["WTF_CSRF_HEADERS"]
                       if name in request.headers), None)
        try:
            validate_csrf(header)
        except ValidationError as error:
            raise InvalidInput("csrf_failed", str(error)) from None
    g.principal = principal


def api_user() -> User:
    """The user of the caller authenticated by `authenticate_request`."""
    return g.principal.user
