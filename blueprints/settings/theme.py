"""The theme (light, dark, or the system's): chosen on /settings, kept in a cookie that every page
reads on the server, so <html data-theme> is right in the first byte and nothing flashes.

A cookie and not the account: the choice is the device's (a phone dark at night, a laptop light),
as the operating system's own setting is; it outlives logging out, so the login page keeps it."""
from flask import flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import login_required

from actions.errors import ActionError
from actions.validation import THEMES, check_theme
from blueprints.settings import bp
from blueprints.settings.cookies import keep_preference
from i18n.errors import error_text

THEME_COOKIE = "theme"
DEFAULT_THEME = "system"  # no cookie: the device's own setting


@bp.app_context_processor
def theme_of_the_page() -> dict:
    """`theme` for every template (templates/base.html, the back office): the cookie's, else the system's."""
    chosen = request.cookies.get(THEME_COOKIE)
    return {"theme": chosen if chosen in THEMES else DEFAULT_THEME, "THEMES": THEMES}


@bp.post("/settings/theme")
@login_required
def choose_theme():
    """Choose the theme {theme: light | dark | system}; stored in this browser's cookie."""
    try:
        theme = check_theme(request.form.get("theme"))
    except ActionError as error:
        flash(error_text(error.code, error.message), "error")
        return redirect(url_for("settings.index"), 303)
    response = redirect(url_for("settings.index") + "#theme-section", 303)
    if theme == DEFAULT_THEME:
        response.delete_cookie(THEME_COOKIE)
    else:
        keep_preference(response, THEME_COOKIE, theme)
    flash(gettext("Theme changed."), "success")
    return response
