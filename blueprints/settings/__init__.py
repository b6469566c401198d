"""The settings page (/settings): one's login sessions, personal API tokens, password, and the
sections other features add (templates/settings/, included by name: a missing one is left out)."""
from datetime import datetime

from flask import Blueprint

bp = Blueprint("settings", __name__)


@bp.app_template_filter("datetime_utc")
def datetime_utc(moment: datetime | None) -> str:
    """A stored (naive UTC) time as people read it, e.g. `2026-12-02 15:20 UTC`."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "never"


from blueprints.settings import language, privacy, profile, routes  # noqa: E402,F401
