"""Files: upload (through the server or straight to storage), download redirects, and the
local backend's signed URLs. Routes are listed in docs/protocol.md ("Files").

Authentication is the API's (blueprints.request_auth). The local backend's signed URLs
need no login: the signature is the permission.
"""
from flask import Blueprint

from blueprints.request_auth import authenticate_request

bp = Blueprint("files", __name__)

PUBLIC_ENDPOINTS = {"files.local_download", "files.local_upload"}


@bp.before_request
def authenticate():
    authenticate_request(PUBLIC_ENDPOINTS)


from blueprints.files import local, routes  # noqa: E402,F401
