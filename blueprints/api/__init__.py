"""The JSON API under /api: bearer tokens for programs, the session cookie for the page.

Every route except account and token creation needs a user (blueprints.request_auth).
A route that reads a body says so in its OpenAPI operation (blueprints/api/openapi.py, a request body);
every other /api route refuses one with a field (`refuse_bodies_not_taken`, which wraps every such /api
view of the app), so no route can forget it.
"""
import functools
from collections.abc import Callable

from flask import Blueprint, Flask, current_app, request
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


def refuse_bodies_not_taken(app: Flask) -> None:
    """Every /api view whose OpenAPI operation has no request body (leave, join, mute, the DELETEs, the GETs…:
    docs/protocol.md, Input; blueprints.api.openapi.takes_a_body) first refuses a body with any field, 400
    invalid_field, as a route that takes a body refuses a field it does not take: `{"user_id": 7}` sent to /leave
    must not leave as if it removed member 7. It runs just before the view, after authentication and the
    operators' check, where a view's own check_fields runs. No body, an empty one or `{}` is taken (the page
    sends `{}`); what json_body refuses is refused too. Called once every route is registered
    (app.register_blueprints), so no /api route can go without it."""
    from blueprints.api.openapi import takes_a_body  # it imports this module's blueprint

    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.rule.startswith("/api/") and not takes_a_body(rule.rule, rule.methods - {"HEAD", "OPTIONS"}) and (
                not getattr(view, "refuses_a_body", False)):  # an endpoint of several rules is wrapped once
            app.view_functions[rule.endpoint] = _refusing_a_body(view)


def _refusing_a_body(view: Callable) -> Callable:
    @functools.wraps(view)
    def refusing_a_body(*args, **kwargs):
        check_fields(_json_object(), (), "request")
        return view(*args, **kwargs)

    refusing_a_body.refuses_a_body = True
    return refusing_a_body


def json_body() -> dict:
    """The request's JSON object, read strictly (blueprints.client_json: no NaN or Infinity, at
    most MAX_DEPTH levels deep); anything else is a 400 `invalid_json`. No body is {}.
    Only for a route whose OpenAPI operation has a request body (any other has its body refused before it runs)."""
    if getattr(current_app.view_functions.get(request.endpoint), "refuses_a_body", False):
        raise RuntimeError(f"{request.endpoint} reads a body: give its operation one (blueprints/api/openapi.py)")
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
