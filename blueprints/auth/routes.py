"""Login, registration and logout pages."""
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from actions.accounts import authenticate, register_user
from actions.errors import ActionError
from actions.rate_limits import RateLimited
from actions.two_factor import has_two_factor
from blueprints.auth import bp
from blueprints.auth.forms import LoginForm, RegisterForm
from blueprints.auth.two_factor import ask_second_factor
from blueprints.identity import log_in, log_out
from offload import ServerBusy


def safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect to another host after login."""
    if target:
        parts = urlsplit(target)
        # Browsers read a backslash as "/" and drop tabs and newlines: refuse them outright.
        suspicious = "\\" in target or any(character.isspace() or ord(character) < 32 for character in target)
        if (not suspicious and not parts.scheme and not parts.netloc and target.startswith("/")
                and not target.startswith("//")):
            return target
    return url_for("chat.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with username and password."""
    if current_user.is_authenticated:
        return redirect(url_for("chat.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data, client_address=request.remote_addr)
        except (RateLimited, ServerBusy) as error:
            flash(error.message, "error")
            return render_template("auth/login.html", form=form), error.status, error.headers
        except ActionError as error:
            flash(error.message, "error")
        else:
            if has_two_factor(user):  # the password was right: the code next, before any session
                return ask_second_factor(user, safe_next(request.args.get("next")))
            log_in(user)
            return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" else 400


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create an account and log in."""
    if current_user.is_authenticated:
        return redirect(url_for("chat.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = register_user(form.username.data, form.password.data,
                                 display_name=form.display_name.data, email=form.email.data)
        except ActionError as error:
            flash(error.message, "error")
        else:
            log_in(user)
            return redirect(url_for("chat.index"))
    return render_template("auth/register.html", form=form), 200 if request.method == "GET" else 400


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out (POST with the CSRF token, so no page can log you out); this browser's sockets are cut."""
    log_out()
    return redirect(url_for("auth.login"))
