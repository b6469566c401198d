"""The JSON API under /api: bearer tokens for programs, the session cookie for the page.

Every route except account and token creation needs a user (blueprints.request_auth).
"""
from flask import Blueprint, request

from actions.errors import InvalidInput
from blueprints.identity import bearer_token  # noqa: F401  (used by routes)
from blueprints.request_auth import api_user, authenticate_request  # noqa: F401  (used by routes)

bp = Blueprint("api", __name__)

PUBLIC_ENDPOINTS = {"api.create_token", "api.create_account"}


@bp.before_request
def authenticate():
    authenticate_request(PUBLIC_ENDPOINTS)


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
