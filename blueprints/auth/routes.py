"""Login, registration and logout pages."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from actions.accounts import authenticate
from actions.errors import ActionError
from actions.rate_limits import RateLimited, limit_registration
from actions.registration import register_account, registration_is_open, registration_modes
from actions.two_factor import has_two_factor
from blueprints.auth import bp
from blueprints.auth.forms import LoginForm, RegisterForm, show_error
from blueprints.auth.trusted_device import trust_this_browser, trusted_user_ids
from blueprints.auth.two_factor import ask_second_factor
from blueprints.identity import log_in, log_out
from blueprints.site_paths import is_site_path
from i18n.errors import error_text, refusal_text
from offload import ServerBusy


def safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect to another host after login."""
    return target if target and is_site_path(target) else url_for("chat.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with a username, email or phone, and the password."""
    if current_user.is_authenticated:  # logged in meanwhile (another tab): on to the page the link was for
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data, client_address=request.remote_addr,
                                trusted_user_ids=trusted_user_ids())
        except (RateLimited, ServerBusy) as error:
            flash(error_text(error.code, error.message), "error")
            return render_template("auth/login.html", form=form), error.status, error.headers
        except ActionError as error:
            flash(refusal_text(error), "error")
        else:
            if has_two_factor(user):  # the password was right: the code next, before any session
                return ask_second_factor(user, safe_next(request.args.get("next")))
            log_in(user)
            return trust_this_browser(redirect(safe_next(request.args.get("next"))), user)
    return render_template("auth/login.html", form=form), 200 if request.method != "POST" else 400


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create an account (what it needs: REGISTRATION) and log in; an address given gets a code."""
    if not registration_is_open():
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("chat.index"))
    form = RegisterForm(invite=request.args.get("invite", ""))
    if form.validate_on_submit():
        try:
            limit_registration(request.remote_addr)
            registration = register_account(form.username.data, form.password.data, form.display_name.data,
                                             form.email.data, form.phone.data, form.invite.data)
        except RateLimited as error:
            flash(error_text(error.code, error.message), "error")
            return render_template("auth/register.html", form=form, modes=registration_modes()), error.status, \
                error.headers
        except ActionError as error:
            if not show_error(form, error):
                flash(error_text(error.code, error.message), "error")
            return render_template("auth/register.html", form=form, modes=registration_modes()), 400
        log_in(registration.user)
        if registration.confirmation is not None:
            return redirect(url_for("auth.confirm"))
        return redirect(url_for("chat.index"))
    return render_template("auth/register.html", form=form, modes=registration_modes()), \
        200 if request.method != "POST" else 400


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out (POST with the CSRF token, so no page can log you out); this browser's sockets are cut."""
    log_out()
    return redirect(url_for("auth.login"))


@bp.app_context_processor
def registration_context() -> dict:
    """Pages link to the registration page only when there is one."""
    return {"registration_open": registration_is_open()}
