"""/settings' privacy section: who may start a direct chat with me, who sees my last seen and my
read receipts (actions.privacy), and the people I blocked, each with "Unblock" (actions.blocks).
Plain forms, as the rest of the page; the chat page changes the same things over the API."""
from flask import flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from actions.blocks import list_blocks, unblock_user
from actions.errors import ActionError
from actions.privacy import CHOICES, get_privacy, update_privacy
from blueprints.settings import bp
from i18n.errors import error_text


@bp.app_template_global()
def privacy_section() -> dict:
    """What settings/_privacy.html shows: read only when the page includes it."""
    user = current_user._get_current_object()
    return {"privacy": get_privacy(user), "blocks": list_blocks(user)}


@bp.post("/settings/privacy")
@login_required
def save_privacy():
    """Save {direct_chats, last_seen, read_receipts}; a value not offered changes nothing."""
    try:
        update_privacy(current_user, {name: request.form.get(name) for name in CHOICES if name in request.form})
    except ActionError as error:
        flash(error_text(error.code, error.message), "error")
    else:
        flash(gettext("Privacy settings saved."), "success")
    return redirect(url_for("settings.index") + "#privacy-section")


@bp.post("/settings/blocks/<id:user_id>/remove")
@login_required
def unblock(user_id: int):
    """Unblock someone: they may message you and send you requests again."""
    try:
        unblock_user(current_user, user_id)
    except ActionError as error:
        flash(error_text(error.code, error.message), "error")
    else:
        flash(gettext("Unblocked."), "success")
    return redirect(url_for("settings.index") + "#privacy-section")
