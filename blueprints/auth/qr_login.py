"""QR-code login pages: the approve page a logged-in device opens from the code (or scans with
its camera), and the POST that turns an approved page's ticket into a session.

The waiting login page itself talks over the /qr-login socket (blueprints/auth/qr_events.py);
the rules are in actions/qr_login.py.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from actions import qr_login
from actions.errors import ActionError, InvalidInput
from actions.sessions import device_summary
from blueprints.auth import bp
from blueprints.auth.forms import LoginForm
from blueprints.errors import wants_json
from blueprints.identity import log_in, log_out
from i18n.errors import error_text


@bp.route("/qr/scan")
@login_required
def qr_scan():
    """Scan a login page's QR code with this device's camera (BarcodeDetector), or paste its link."""
    return render_template("auth/qr_scan.html")


@bp.route("/qr/<token>", methods=["GET", "POST"])
@login_required
def qr_approve(token: str):
    """Which browser asks to log in as the current user; approve or refuse it (POST `decision`)."""
    try:
        if request.method == "GET":
            login = qr_login.scan_qr_login(current_user, token)
        else:
            decision = request.form.get("decision")
            if decision not in ("approve", "refuse"):
                raise InvalidInput("invalid_decision", "Choose approve or refuse.")
            login = qr_login.decide_qr_login(current_user, token, approve=decision == "approve")
    except ActionError as error:
        return render_template("auth/qr_approve.html", login=None, error=error), error.status
    return render_template("auth/qr_approve.html", login=login, error=None, device=device_summary(login.user_agent))


@bp.post("/login/qr")
def qr_login_with_ticket():
    """The waiting page posts the ticket its socket got after `qr:approved`: logged in (method "qr"),
    as the approver (a browser logged in meanwhile, in another tab, is logged out of that first)."""
    try:
        user = qr_login.redeem_qr_ticket(request.form.get("ticket"), qr_login.browser_key(session.get("csrf_token")))
    except ActionError as error:
        if wants_json():
            raise
        flash(error_text(error.code, error.message), "error")
        return render_template("auth/login.html", form=LoginForm()), error.status
    if current_user.is_authenticated:
        log_out()
    log_in(user, method="qr")
    return redirect(url_for("chat.index"))
