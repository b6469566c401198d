"""Browser accounts: register, log in, log out (session cookies, CSRF-protected forms)."""
from flask import Blueprint

from blueprints import identity

bp = Blueprint("auth", __name__)
bp.before_app_request(identity.keep_login_session)

from blueprints.auth import password, routes  # noqa: E402,F401
