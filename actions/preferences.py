"""A user's interface preferences: the language of the pages and e-mails (i18n.LANGUAGES)."""
from __future__ import annotations

from actions.errors import InvalidInput
from events import atomic
from i18n import LANGUAGES
from models import User


def check_language(value: object) -> str | None:
    """A code of i18n.LANGUAGES, or None for "" / None (the browser's Accept-Language)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in LANGUAGES:
        raise InvalidInput("invalid_language",
                           f"language must be one of {', '.join(LANGUAGES)}, or empty for the browser's.")
    return value


@atomic()
def set_language(user: User, language: object) -> str | None:
    """Choose one's interface language (None: follow the browser); returns the stored value."""
    user.language = check_language(language)
    return user.language
