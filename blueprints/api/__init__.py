"""The JSON API under /api: bearer tokens for programs, the session cookie for the page.

Every route except token creation needs a user. Cookie-authenticated writes must
carry the CSRF token (header X-CSRFToken); bearer requests carry no ambient
credentials, so they need none.
"""
from flask import Blueprint, current_app, g, request
from flask_login import current_user

from actions.accounts import user_for_token
from actions.errors import InvalidInput, Unauthorized
from extensions import csrf
from models import User

bp = Blueprint("api", __name__)

PUBLIC_ENDPOINTS = {"api.create_token", "api.create_account"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@bp.before_request
def authenticate_request():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    token = bearer_token()
    if token is not None:
        g.api_user = user_for_token(token)
        if g.api_user is None:
            raise Unauthorized("invalid_token", "The bearer token is invalid, expired or revoked.")
        return
    if not current_user.is_authenticated:
        raise Unauthorized("unauthorized", "Log in or send a bearer token.")
    # protect() itself ignores WTF_CSRF_ENABLED; honour it like the form views do.
    if request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    g.api_user = current_user._get_current_object()


def api_user() -> User:
    return g.api_user


def json_body() -> dict:
    """The request's JSON object; anything else is a 400."""
    # A form-encoded body leaves request.data empty: refuse it rather than read it as {}.
    if not request.content_length and not request.data:
        return {}
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise InvalidInput("invalid_json", "The request body must be a JSON object.")
    return payload


from blueprints.api import admin, conversations, groups, reports, tokens, users  # noqa: E402,F401
