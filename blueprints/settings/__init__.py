"""The settings page (/settings): one's login sessions, personal API tokens, password, and the
sections other features add (templates/settings/, included by name: a missing one is left out)."""
from flask import Blueprint

bp = Blueprint("settings", __name__)


from blueprints.settings import language, privacy, profile, routes, theme  # noqa: E402,F401
