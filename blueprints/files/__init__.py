"""Files: upload (through the server or straight to storage), download redirects, and the
local backend's signed URLs. Routes are listed in docs/protocol.md ("Files").

Authentication is the API's (bearer token, or session cookie plus X-CSRFToken on writes),
except that the CSRF token is read from the header only: reading `request.form` would
consume and spool the whole upload before the view could stream it to storage.
The local backend's signed URLs need no login: the signature is the permission.
"""
from flask import Blueprint, current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from actions.accounts import user_for_token
from actions.errors import InvalidInput, Unauthorized
from blueprints.api import SAFE_METHODS, bearer_token

bp = Blueprint("files", __name__)

PUBLIC_ENDPOINTS = {"files.local_download", "files.local_upload"}


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
    if request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
        header = next((request.headers[name] for name in current_app.config["WTF_CSRF_HEADERS"]
                       if name in request.headers), None)
        try:
            validate_csrf(header)
        except ValidationError as error:
            raise InvalidInput("csrf_failed", str(error)) from None
    g.api_user = current_user._get_current_object()


from blueprints.files import local, routes  # noqa: E402,F401
