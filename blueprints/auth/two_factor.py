"""Two-factor pages: the code asked after the password (before any session exists), the set-up
from the settings page (templates/settings/_two_factor.html), and the rule that operators enrol
before the back office opens when TWO_FACTOR_REQUIRED_FOR_OPERATORS is on. Rules: actions/two_factor.py.

Between the password and the code the browser holds a short-lived "password ok" state in its
signed session cookie: which account, since when, where to go next, how many codes were tried, and
the step: a random value each code typed uses up, on the server (the rate-limit counters: Redis when
configured), so that a copy of an older cookie, replayed, cannot try five codes more.
"""
from __future__ import annotations

import secrets
import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from actions import two_factor
from actions.errors import ActionError, Forbidden
from actions.rate_limits import RateLimited, count_attempt
from blueprints.auth import bp
from blueprints.auth.qr_image import qr_data_uri
from blueprints.auth.trusted_device import trust_this_browser
from blueprints.errors import wants_json
from blueprints.identity import log_in, request_principal
from extensions import db
from i18n.errors import error_text
from models import User

PENDING_KEY = "two_factor_pending"
PENDING_SECONDS = 300  # to type the code after the password
MAX_TRIES = 5  # wrong codes before the password must be typed again


def ask_second_factor(user: User, next_path: str) -> Response:
    """The password was right and the account has two-factor: remember that for a few minutes
    (no session yet) and ask for the code; `next_path` (checked already) is where to go then."""
    session[PENDING_KEY] = {"user": user.id, "at": time.time(), "next": next_path, "tries": 0,
                            "step": secrets.token_urlsafe(16)}
    return redirect(url_for("auth.login_two_factor"))


def _use_up_step(pending: dict) -> bool:
    """Whether this state's step is new (and now used): False for a state whose code was typed already,
    an older copy of the cookie sent again (or one made before steps were, which has none)."""
    step = pending.get("step")
    if not isinstance(step, str) or not step:
        return False
    try:
        count_attempt([f"two-factor-step:{step}"], 1, PENDING_SECONDS, "This step was used.")
    except RateLimited:
        return False
    return True


def _pending_user() -> tuple[dict, User] | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        return None
    user = db.session.get(User, pending.get("user"))
    return (pending, user) if user is not None and user.active else None


@bp.route("/login/two-factor", methods=["GET", "POST"])
def login_two_factor():
    """The login's second step: a code from the authenticator app, or a recovery code."""
    found = _pending_user()
    if found is None:
        flash(gettext("Log in with your password first."), "error")
        return redirect(url_for("auth.login"))
    pending, user = found
    if request.method == "GET":
        return render_template("auth/two_factor.html")
    if not _use_up_step(pending):
        session.pop(PENDING_KEY, None)
        flash(gettext("Log in with your password first."), "error")
        return redirect(url_for("auth.login"))
    pending["step"] = secrets.token_urlsafe(16)  # the next code's
    session[PENDING_KEY] = pending
    try:
        two_factor.check_second_factor(user, request.form.get("code"))
    except RateLimited as error:
        flash(error_text(error.code, error.message), "error")
        return render_template("auth/two_factor.html"), error.status, error.headers
    except ActionError as error:
        pending["tries"] += 1
        session[PENDING_KEY] = pending
        if pending["tries"] >= MAX_TRIES:
            session.pop(PENDING_KEY)
            flash(gettext("Too many wrong codes: log in again."), "error")
            return redirect(url_for("auth.login"))
        flash(error_text(error.code, error.message), "error")
        return render_template("auth/two_factor.html"), error.status
    session.pop(PENDING_KEY)
    log_in(user)
    return trust_this_browser(redirect(pending["next"]), user)


@bp.app_template_global()
def two_factor_status(user: User) -> dict:
    """For the settings section: on or off, since when, recovery codes left."""
    enabled = two_factor.find_two_factor(user)
    return {"enabled": enabled is not None, "since": enabled.enabled_at if enabled else None,
            "codes_left": two_factor.recovery_codes_left(user) if enabled else 0,
            "required": two_factor.needs_enrolment(user)}


@bp.route("/settings/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    """Turn two-factor on: scan the secret's QR code (or type it), then confirm with the password and a code."""
    if two_factor.has_two_factor(current_user):
        return redirect(url_for("settings.index") + "#two-factor-section")
    enrolment = two_factor.pending_enrolment(current_user) or two_factor.start_enrolment(current_user)
    status = 200
    if request.method == "POST":
        try:
            codes = two_factor.confirm_enrolment(current_user, request.form.get("password"), request.form.get("code"))
        except ActionError as error:
            flash(error_text(error.code, error.message), "error")
            status = error.status
        else:
            return render_template("auth/recovery_codes.html", codes=codes, first_time=True)
    return render_template("auth/two_factor_setup.html", secret=enrolment.secret,
                           image=qr_data_uri(enrolment.uri)), status


@bp.post("/settings/two-factor/recovery-codes")
@login_required
def two_factor_new_codes():
    """New recovery codes (the old ones stop working), after a code from the app."""
    try:
        codes = two_factor.regenerate_recovery_codes(current_user, request.form.get("code"))
    except ActionError as error:
        flash(error_text(error.code, error.message), "error")
        return redirect(url_for("settings.index") + "#two-factor-section")
    return render_template("auth/recovery_codes.html", codes=codes, first_time=False)


@bp.post("/settings/two-factor/disable")
@login_required
def two_factor_disable():
    """Turn two-factor off: the password and a code (from the app, or a recovery code)."""
    try:
        two_factor.disable_two_factor(current_user, request.form.get("password"), request.form.get("code"))
    except ActionError as error:
        flash(error_text(error.code, error.message), "error")
        return redirect(url_for("settings.index") + "#two-factor-section")
    flash(gettext("Two-factor authentication is off."), "success")
    return redirect(url_for("settings.index") + "#two-factor-section")


@bp.before_app_request
def require_operator_enrolment():
    """TWO_FACTOR_REQUIRED_FOR_OPERATORS: the back office (pages and admin API) stays closed to an
    operator without two-factor; their browser is sent to enrol."""
    if not current_app.config["TWO_FACTOR_REQUIRED_FOR_OPERATORS"]:
        return None
    path = request.path
    if not (path == "/admin" or path.startswith(("/admin/", "/api/admin/"))):
        return None
    try:
        user = request_principal().user
    except ActionError:
        return None  # not logged in: the back office refuses it itself
    if not two_factor.needs_enrolment(user):
        return None
    refusal = Forbidden("two_factor_enrolment_required",
                        "Operators must turn on two-factor authentication first (Settings).")
    if wants_json():
        raise refusal
    flash(gettext("Operators must turn on two-factor authentication first (Settings)."), "error")
    return redirect(url_for("auth.two_factor_setup"))

