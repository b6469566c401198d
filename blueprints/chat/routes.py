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
