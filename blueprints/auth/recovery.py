"""Confirming an address with its code, and resetting a forgotten password by code.

An account registered with an email or phone (REGISTRATION=email, phone) can log in, but its
session reaches only the confirmation page (and logging out) until the code is entered; the API
answers it 403 `unconfirmed`. The forgotten-password pages say the same whether the account
exists or not.
"""
from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user, login_required

from actions.codes import code_minutes
from actions.errors import ActionError, Forbidden, Unauthorized
from actions.rate_limits import RateLimited, limit_code_attempt, limit_password_reset
from actions.registration import (
    change_address,
    confirm_address,
    pending_confirmation,
    request_password_reset,
    resend_confirmation,
    reset_password_with_code,
)
from blueprints.auth import bp
from blueprints.auth.forms import ConfirmForm, ForgotPasswordForm, ResetPasswordForm, show_error
from blueprints.auth.routes import safe_next
from blueprints.errors import wants_json
from blueprints.identity import log_in
from i18n.errors import error_text


def N_(text: str) -> str:
    """Marks a string for the catalogue; translated where it is shown."""
    return text


# What an unconfirmed account's session may still reach.
ALLOWED_WHILE_UNCONFIRMED = {"auth.confirm", "auth.resend_code", "auth.logout", "static", "chat.health",
                             "api.confirm_account", "api.resend_code"}
RESET_LOGIN_KEY = "reset_login"  # in the Flask session: what the forgotten-password page was given
PASSWORD_CHANGED = N_("Your password is changed. Every other session of your account was logged out.")
SECOND_FACTOR_TOO = N_("Your account has two-factor authentication: enter a code from your authenticator app (or a "
                       "recovery code) too.")


def sent_somewhere() -> str:
    """What the forgotten-password page says once asked: as long as a code works (CODE_TTL_SECONDS)."""
    minutes = code_minutes()
    return ngettext("If an account matches, we sent a code to its email address or phone. It works for "
                    "%(num)d minute.", "If an account matches, we sent a code to its email address or phone. "
                    "It works for %(num)d minutes.", minutes)


@bp.before_app_request
def require_confirmation():
    """Send an unconfirmed account's session to the confirmation page first. The routes allowed meanwhile
    are asked first: a static file (the page's scripts, styles, icons) loads no user."""
    if (request.endpoint in ALLOWED_WHILE_UNCONFIRMED or not current_user.is_authenticated
            or current_user.confirmed_at is not None):
        return None
    if wants_json():
        raise Forbidden("unconfirmed", "Confirm your address first: enter the code we sent you.")
    return redirect(url_for("auth.confirm"))


@bp.route("/confirm", methods=["GET", "POST"])
@login_required
def confirm():
    """Enter the code sent to the address being confirmed."""
    pending = pending_confirmation(current_user)
    if pending is None:
        return redirect(url_for("chat.index"))
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            limit_code_attempt(f"user:{current_user.id}")
            confirm_address(current_user, form.code.data)
        except RateLimited as error:
            flash(error_text(error.code, error.message), "error")
            return _confirm_page(form, pending), error.status, error.headers
        except ActionError as error:
            if not show_error(form, error):
                flash(error_text(error.code, error.message), "error")
        else:
            flash(gettext("Your address is confirmed."), "success")
            return redirect(url_for("chat.index"))
    return _confirm_page(form, pending), 200 if request.method != "POST" else 400


def _confirm_page(form: ConfirmForm, pending: dict) -> str:
    return render_template("auth/confirm.html", form=form, pending=pending,
                           required=current_user.confirmed_at is None)


@bp.route("/confirm/resend", methods=["POST"])
@login_required
def resend_code():
    """Send a new code (60 s after the last, then longer each time), to another address if one is
    given (a mistyped one, or one added from the settings page, which comes back there on a refusal;
    an account already confirmed gives its password with a new address)."""
    address = request.form.get("address", "").strip()
    refused_to = safe_next(request.form.get("next")) if request.form.get("next") else url_for("auth.confirm")
    email, phone = (address, None) if "@" in address else (None, address or None)
    try:
        if address and current_user.confirmed_at is not None:  # where reset codes go: takes the password
            pending = change_address(current_user, request.form.get("password"), email, phone)
        else:
            pending = resend_confirmation(current_user, email=email, phone=phone)
    except RateLimited as error:
        flash(error_text(error.code, error.message), "error")
        return redirect(refused_to), 303, error.headers
    except ActionError as error:
        flash(error_text(error.code, error.message), "error")
        return redirect(refused_to), 303
    flash(gettext("We sent a new code to %(address)s.", address=pending["sent_to"]), "success")
    return redirect(url_for("auth.confirm")), 303


bp.add_app_template_global(pending_confirmation, "pending_confirmation")  # the settings page's address section


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset code: the same answer whether the account exists or not."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        try:
            limit_password_reset(request.remote_addr)
            request_password_reset(form.login.data)
        except RateLimited as error:
            flash(error_text(error.code, error.message), "error")
            return render_template("auth/forgot.html", form=form), error.status, error.headers
        except ActionError as error:  # not text a login can be (control characters)
            if not show_error(form, error):
                flash(error_text(error.code, error.message), "error")
            return render_template("auth/forgot.html", form=form), 400
        session[RESET_LOGIN_KEY] = form.login.data.strip()
        flash(sent_somewhere(), "success")
        return redirect(url_for("auth.reset_password"))
    return render_template("auth/forgot.html", form=form), 200 if request.method != "POST" else 400


@bp.route("/password/reset", methods=["GET", "POST"])
def reset_password():
    """The code and a new password: every other session of the account ends, this browser logs in."""
    form = ResetPasswordForm(login=session.get(RESET_LOGIN_KEY, ""))
    if form.validate_on_submit():
        try:
            limit_code_attempt("reset:" + form.login.data.strip().lower())
            # The code proves the address, not the second factor: without it nothing changes.
            user = reset_password_with_code(form.login.data, form.code.data, form.password.data, form.totp.data)
        except RateLimited as error:
            flash(error_text(error.code, error.message), "error")
            return render_template("auth/reset.html", form=form), error.status, error.headers
        except Unauthorized as error:  # the second factor
            form.totp.errors = [gettext(SECOND_FACTOR_TOO) if error.code == "two_factor_required"
                                else error_text(error.code, error.message)]
            return render_template("auth/reset.html", form=form), error.status
        except ActionError as error:
            if not show_error(form, error):
                flash(error_text(error.code, error.message), "error")
        else:
            session.pop(RESET_LOGIN_KEY, None)
            log_in(user, method="code")
            flash(gettext(PASSWORD_CHANGED), "success")
            return redirect(url_for("chat.index"))
    return render_template("auth/reset.html", form=form), 200 if request.method != "POST" else 400
