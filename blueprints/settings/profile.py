"""/settings' profile section: display name, status line and time zone (a plain form); the
picture is uploaded by static/js/settings-profile.js to POST /api/me/avatar (cropped in the page),
and removed by a plain form."""
import functools

from flask import flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from actions.errors import ActionError
from actions.profiles import remove_avatar, update_profile
from actions.validation import time_zone_names
from blueprints.settings import bp
from i18n.errors import error_text
from payloads import user_payload

# Offered first in the time zone list: where most of this service's people are.
COMMON_TIME_ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo",
                     "Europe/London", "Europe/Paris", "Europe/Berlin", "America/New_York", "America/Chicago",
                     "America/Los_Angeles", "UTC")


@functools.cache
def all_time_zones() -> list[str]:
    return sorted(time_zone_names())


@bp.context_processor
def profile_choices():
    """The time zones /settings offers (common ones, then every IANA name), and pictures' URLs."""
    return {"COMMON_TIME_ZONES": COMMON_TIME_ZONES, "ALL_TIME_ZONES": all_time_zones(),
            "avatar_url_of": lambda user: user_payload(user)["avatar_url"]}


@bp.post("/settings/profile")
@login_required
def save_profile():
    """Change one's {display_name, status_text, time_zone} (empty time zone: not given)."""
    try:
        update_profile(current_user, {name: request.form.get(name, "")
                                      for name in ("display_name", "status_text", "time_zone")})
    except ActionError as error:
        flash(error_text(error.code, error.message), "error")
    else:
        flash(gettext("Profile saved."), "success")
    return redirect(url_for("settings.index") + "#profile-section")


@bp.post("/settings/avatar/remove")
@login_required
def remove_picture():
    """Back to the initials picture."""
    remove_avatar(current_user)
    flash(gettext("Picture removed."), "success")
    return redirect(url_for("settings.index") + "#profile-section")
