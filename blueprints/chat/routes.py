"""The chat page."""
from flask import render_template
from flask_login import current_user, login_required

from actions.validation import GROUP_DESCRIPTION_LENGTH, GROUP_NAME_LENGTH
from blueprints.chat import bp
from payloads import user_payload


@bp.route("/")
@login_required
def index():
    """The single-page chat client; its data comes over the API and the socket. Its group forms
    hold what the server accepts (actions/validation.py) as their maxlength."""
    return render_template("chat/index.html", me=user_payload(current_user),
                           group_name_length=GROUP_NAME_LENGTH, group_description_length=GROUP_DESCRIPTION_LENGTH)
