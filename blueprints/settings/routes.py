"""The settings page: one's login sessions and API tokens, with the forms that change them.

Plain HTML forms (CSRF-protected, no script): each answers with the page again, or a redirect
to it with a flash message. A new token is shown once, in the answer to the form that made it.
"""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from actions import sessions
from actions.accounts import check_own_password, issue_api_token
from actions.errors import ActionError
from actions.rate_limits import limit_token_creation
from actions.validation import check_token_days, check_token_name
from blueprints.identity import current_session_id
from blueprints.settings import bp
from i18n.errors import error_text

METHOD_LABELS = {"password": _l("password"), "code": _l("a code"), "qr": _l("QR code"), "token": _l("a login link")}


@bp.route("/settings")
@login_required
def index():
    """The signed-in user's settings: sessions, API tokens, password, and the optional sections."""
    return _page()


@bp.post("/settings/sessions/<session_id>/end")
@login_required
def end_session(session_id: str):
    """Log one of one's other sessions out; its open pages and sockets are cut at once."""
    try:
        ended = sessions.revoke_own_session(current_user, session_id)
    except ActionError as error:
        flash(error_text(error.code, error.message), "error")
    else:
        if ended.id == current_session_id():
            return redirect(url_for("auth.login"))
        flash(gettext("Logged out: %(device)s.", device=ended.device), "success")
    return redirect(url_for("settings.index"))


@bp.post("/settings/sessions/end-others")
@login_required
def end_other_sessions():
    """Log out every session but this one."""
    count = sessions.revoke_other_sessions(current_user, current_session_id())
    flash(ngettext("Logged out %(num)d other session.", "Logged out %(num)d other sessions.", count), "success")
    return redirect(url_for("settings.index"))


# The token form's own words for two refusals: a token's name is refused as `invalid_name`, the code of a
# group's name too, which i18n.errors.FIELD_TEXTS words for groups ("Give the group a name of 1 to 80
# characters"); a wrong password is `invalid_credentials`, which the table words for a login ("Wrong username
# or password.").
TOKEN_FORM_TEXTS = {"invalid_name": _l("A token name has 1 to 64 characters, without control characters."),
                    "invalid_credentials": _l("The password is wrong: no token was created.")}


@bp.post("/settings/tokens")
@login_required
def create_token():
    """Create an API token {name, expires_in_days (0: never), password}; shown once, in this answer.
    The password again, as GitHub asks before a personal token and this page before two-factor is turned
    on: a token outlives the session, so someone holding only the session (a stolen cookie, a browser left
    open) must not mint one. Wrong passwords count as failed logins (actions.accounts.check_own_password)."""
    try:
        name = check_token_name(request.form.get("name"))
        days = check_token_days(request.form.get("expires_in_days"))
        check_own_password(current_user, request.form.get("password"))
        limit_token_creation(current_user)
        issued = issue_api_token(current_user, name=name, days=days)
    except ActionError as error:
        # A flash, an error: read out as an alert after load, as every page's (templates/base.html).
        flash(str(TOKEN_FORM_TEXTS[error.code]) if error.code in TOKEN_FORM_TEXTS
              else error_text(error.code, error.message), "error")
        return _page(status=error.status)
    return _page(issued=issued, status=201)


@bp.post("/settings/tokens/<id:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    """Revoke one of one's API tokens; programs using it are refused from now on."""
    try:
        token = sessions.revoke_own_token(current_user, token_id)
    except ActionError as error:
        flash(error_text(error.code, error.message), "error")
    else:
        flash(gettext("Token %(name)s revoked.", name=token.name), "success")
    return redirect(url_for("settings.index"))


def _page(issued=None, status: int = 200):
    user = current_user._get_current_object()
    return render_template("settings/index.html", me=user, sessions=sessions.list_sessions(user),
                           current_session_id=current_session_id(), tokens=sessions.list_tokens(user),
                           issued=issued, method_labels=METHOD_LABELS), status
