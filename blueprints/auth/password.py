"""Changing one's password, and the rule that a temporary password must be changed first.

After an operator resets a password, the account's sessions can do nothing but change
it (or log out) until a new one is chosen.
"""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import EqualTo, InputRequired, Length

from actions import passwords
from actions.errors import ActionError, Forbidden
from actions.validation import PASSWORD_MIN_LENGTH
from blueprints.auth import bp
from blueprints.auth.routes import safe_next
from blueprints.errors import wants_json
from blueprints.identity import current_session_id, renew_remember_cookie
from blueprints.site_paths import return_address
from i18n.errors import error_text

# What a session with a temporary password may still reach.
ALLOWED_WHILE_TEMPORARY = {"auth.change_password", "auth.logout", "static", "ops.health", "ops.ready",
                           "ops.metrics_exposition"}


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current (temporary) password", validators=[InputRequired(), Length(max=128)])
    new_password = PasswordField("New password", validators=[InputRequired(), Length(min=PASSWORD_MIN_LENGTH, max=128)])
    confirm = PasswordField("Repeat the new password",
                            validators=[InputRequired(), EqualTo("new_password", "Passwords differ.")])


@bp.before_app_request
def require_password_change():
    """Send a session whose password an operator reset to the change-password page first. The routes
    allowed meanwhile are asked first: a static file (the page's scripts, styles, icons) loads no user."""
    if (request.endpoint in ALLOWED_WHILE_TEMPORARY or not current_user.is_authenticated
            or not current_user.must_change_password):
        return None
    if wants_json():
        raise Forbidden("password_change_required", "Choose a new password first.")
    return redirect(url_for("auth.change_password", next=return_address(url_for("chat.index"))))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Choose a new password (required after an operator set a temporary one)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            passwords.change_password(current_user, form.current_password.data, form.new_password.data,
                                      keep_session_id=current_session_id())
        except ActionError as error:
            flash(error_text(error.code, error.message), "error")
        else:
            renew_remember_cookie()  # this browser stays logged in, with a new remember token
            flash(gettext("Your password is changed."), "success")
            return redirect(safe_next(request.args.get("next")))
    return render_template("auth/password.html", form=form), 200 if request.method != "POST" else 400
