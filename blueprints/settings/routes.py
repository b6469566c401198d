"""The settings page: sessions and API tokens, with the forms that change them."""
from flask import render_template
from flask_login import current_user, login_required

from blueprints.settings import bp


@bp.route("/settings")
@login_required
def index():
    """The signed-in user's settings: sessions, API tokens, password, and the optional sections."""
    return render_template("settings/index.html", me=current_user, sessions=[], tokens=[], issued=None)
