"""Who is calling the JSON API and the file routes: a bearer token, or the session cookie.

Cookie-authenticated writes must carry the CSRF token in the X-CSRFToken header. It is
read from the header only, never from the body: reading the form would consume and
spool an upload before the view could stream it. Bearer requests carry no ambient
credentials, so they need no CSRF token.
"""
from __future__ import annotations

from flask import current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from actions.accounts import user_for_token
from actions.errors import InvalidInput, Unauthorized
from models import User

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authenticate_request(public_endpoints: set[str]) -> None:
    """Set `g.api_user`, or refuse the request (401, or 400 csrf_failed)."""
    if request.endpoint in public_endpoints:
        return
    token = bearer_token()
    if token is not None:
        g.api_user = user_for_token(token)
        if g.api_user is None:
            raise Unauthorized("invalid_token", "The bearer token is invalid, expired or revoked.")
        return
    if not current_user.is_authenticated:
        raise Unauthorized("unauthorized", "Log in or send a bearer token.")
    if request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
        header = next((request.headers[name] for name in current_app.config["WTF_CSRF_HEADERS"]
                       if name in request.headers), None)
        try:
            validate_csrf(header)
        except ValidationError as error:
            raise InvalidInput("csrf_failed", str(error)) from None
    g.api_user = current_user._get_current_object()


def api_user() -> User:
    """The caller authenticated by `authenticate_request`."""
    return g.api_user
