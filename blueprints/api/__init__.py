"""The JSON API under /api: bearer tokens for programs, the session cookie for the page.

Every route except account and token creation needs a user (blueprints.request_auth).
"""
from flask import Blueprint, request
from werkzeug.exceptions import RequestEntityTooLarge

from actions.errors import InvalidInput
from blueprints import client_json
from blueprints.identity import bearer_token  # noqa: F401  (used by routes)
from blueprints.request_auth import api_user, authenticate_request  # noqa: F401  (used by routes)

bp = Blueprint("api", __name__)

PUBLIC_ENDPOINTS = {"api.create_token", "api.create_account", "api.openapi", "api.confirm_account",
                    "api.resend_code", "api.ask_password_reset", "api.confirm_password_reset"}


@bp.before_request
def authenticate():
    authenticate_request(PUBLIC_ENDPOINTS)


def json_body() -> dict:
    """The request's JSON object, read strictly (blueprints.client_json: no NaN or Infinity, at
    most MAX_DEPTH levels deep); anything else is a 400 `invalid_json`. No body is {}."""
    # A form-encoded body leaves request.data empty: refuse it rather than read it as {}.
    if not request.content_length and not request.data:
        return {}
    data = request.get_data()
    if request.content_length is None and request.max_content_length is not None and (
            len(data) >= request.max_content_length):
        # A body sent without a length (chunked) is cut at the limit, not refused (werkzeug reads up to it):
        # refuse it as one announced past it is (413, the connection closed: blueprints.request_limits).
        raise RequestEntityTooLarge()
    try:
        payload = client_json.loads(data) if request.is_json else None
    except client_json.MalformedJSON:
        payload = None
    if not isinstance(payload, dict):
        raise InvalidInput("invalid_json", "The request body must be a JSON object, without NaN or Infinity, "
                                           f"nested at most {client_json.MAX_DEPTH} levels deep.")
    return payload


from blueprints.api import (  # noqa: E402,F401
    accounts,
    admin,
    chat_search,
    contacts,
    conversations,
    groups,
    language,
    message_depth,
    notifications,
    openapi,
    presence,
    profiles,
    reports,
    sessions,
    tokens,
    users,
)
