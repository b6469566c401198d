"""The chat page."""
from flask import render_template
from flask_login import current_user, login_required

from blueprints.chat import bp
from payloads import user_payload


@bp.route("/")
@login_required
def index():
    """The single-page chat client; its data comes over the API and the socket."""
    return render_template("chat/index.html", me=user_payload(current_user))


@bp.route("/healthz")
def health():
    """Liveness for load balancers: the process answers and the database is reachable."""
    from extensions import db

    db.session.execute(db.text("SELECT 1"))
    return {"ok": True}
