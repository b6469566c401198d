"""Browser accounts: register, log in, log out (session cookies, CSRF-protected forms)."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from blueprints.auth import password, qr_login, recovery, routes, two_factor  # noqa: E402,F401
