"""The caller's interface language over the API: what pages and code e-mails are written in
(i18n.LANGUAGES; null: the browser's Accept-Language). Error messages stay English either way."""
from flask import jsonify

from actions.errors import InvalidInput
from actions.preferences import set_language
from actions.validation import check_fields
from blueprints.api import api_user, bp, json_body
from i18n import LANGUAGES


@bp.get("/me/language")
def language():
    """The caller's chosen language (null: the browser's), and the languages there are."""
    return jsonify({"ok": True, "language": api_user().language, "languages": list(LANGUAGES)})


@bp.put("/me/language")
def choose_language():
    """Choose {language: "en" | "zh_Hans_CN" | null (the browser's)}."""
    body = check_fields(json_body(), ("language",), "language")
    if "language" not in body:
        raise InvalidInput("invalid_language", f"language is required: one of {', '.join(LANGUAGES)}, or null.")
    chosen = set_language(api_user(), body["language"])
    return jsonify({"ok": True, "language": chosen, "languages": list(LANGUAGES)})
