"""The language switch: /settings' selector (stored on the account) and the login pages' links
(a cookie, for visitors who are not logged in)."""
from flask import flash, redirect, request
from flask_babel import force_locale, gettext
from flask_login import current_user

from actions.errors import ActionError
from actions.preferences import set_language
from actions.validation import check_language
from blueprints.auth.routes import safe_next
from blueprints.settings import bp
from blueprints.settings.cookies import keep_preference
from i18n import DEFAULT_LANGUAGE, LANGUAGE_COOKIE, negotiate
from i18n.errors import error_text


@bp.post("/language")
def choose_language():
    """Switch the interface language {language: en|zh_Hans_CN|"" (the browser's), next}."""
    target = safe_next(request.form.get("next"))
    try:
        if current_user.is_authenticated:
            language = set_language(current_user, request.form.get("language"))
        else:
            language = check_language(request.form.get("language"))
    except ActionError as error:
        flash(error_text(error.code, error.message), "error")
        return redirect(target)
    response = redirect(target)
    if language is None:
        response.delete_cookie(LANGUAGE_COOKIE)
    else:
        keep_preference(response, LANGUAGE_COOKIE, language)
    if current_user.is_authenticated:  # the login pages change language before one's eyes: no notice
        with force_locale(language or negotiate(request.headers.get("Accept-Language")) or DEFAULT_LANGUAGE):
            flash(gettext("Language changed."), "success")
    return response
