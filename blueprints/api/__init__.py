"""The JSON API under /api: bearer tokens for programs, the session cookie for the page.

Every route except account and token creation needs a user (blueprints.request_auth).
A route that reads a body says so (`@takes_body`); every other /api route refuses one with a field
(`refuse_a_body_not_taken`, this blueprint's and the files blueprint's before_request), so no route can
forget it.
"""
from collections.abc import Callable

from flask import Blueprint, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from actions.errors import InvalidInput
from actions.validation import check_fields
from blueprints import client_json
from blueprints.identity import bearer_token  # noqa: F401  (used by routes)
from blueprints.request_auth import api_user, authenticate_request  # noqa: F401  (used by routes)

bp = Blueprint("api", __name__)

PUBLIC_ENDPOINTS = {"api.create_token", "api.create_account", "api.openapi", "api.confirm_account",
                    "api.resend_code", "api.ask_password_reset", "api.confirm_password_reset"}


@bp.before_request
def authenticate():
    authenticate_request(PUBLIC_ENDPOINTS)


def takes_body(view: Callable) -> Callable:
    """Marks a view that reads the request's body: its JSON object (json_body, its fields checked by
    actions.validation.check_fields) or a multipart upload. Any other /api route takes none."""
    view.takes_body = True
    return view


def _view_takes_body() -> bool:
    return getattr(current_app.view_functions.get(request.endpoint), "takes_body", False)


@bp.before_request
def refuse_a_body_not_taken() -> None:
    """On an /api route that takes no body (leave, join, mute, the DELETEs…: docs/protocol.md, Input), a body
    with any field is refused 400 invalid_field, before the view runs, as a route that takes a body refuses
    a field it does not take: `{"user_id": 7}` sent to /leave must not leave as if it removed member 7.
    No body, an empty one or `{}` is taken (the page sends `{}`); what json_body refuses is refused too."""
    if request.endpoint is None or not request.path.startswith("/api/") or _view_takes_body():
        return
    check_fields(_json_object(), (), "request")


def json_body() -> dict:
    """The request's JSON object, read strictly (blueprints.client_json: no NaN or Infinity, at
    most MAX_DEPTH levels deep); anything else is a 400 `invalid_json`. No body is {}.
    Only for a view marked @takes_body (any other has its body refused before it runs)."""
    if not _view_takes_body():
        raise RuntimeError(f"{request.endpoint} reads a body: mark its view @takes_body")
    return _json_object()


def _json_object() -> dict:
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
