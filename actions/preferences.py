"""A user's interface preferences: the language of the pages and e-mails (i18n.LANGUAGES). (The
theme is the device's, kept in a cookie: blueprints/settings/theme.py.)"""
from __future__ import annotations

from actions.validation import check_language
from events import atomic
from models import User


@atomic()
def set_language(user: User, language: object) -> str | None:
    """Choose one's interface language (None: follow the browser); returns the stored value."""
    user.language = check_language(language)
    return user.language
