"""A user's interface preferences: the language of the pages and e-mails (i18n.LANGUAGES), and the
theme's names (kept in the browser's cookie: blueprints/settings/theme.py)."""
from __future__ import annotations

from actions.errors import InvalidInput
from actions.validation import check_language
from events import atomic
from models import User


@atomic()
def set_language(user: User, language: object) -> str | None:
    """Choose one's interface language (None: follow the browser); returns the stored value."""
    user.language = check_language(language)
    return user.language


# The page's colours: a pinned light or dark theme, or the device's setting (`system`, the default).
THEMES = ("light", "dark", "system")
DEFAULT_THEME = "system"


def check_theme(theme: object) -> str:
    """One of THEMES; anything else is refused (invalid_theme)."""
    if theme not in THEMES:
        raise InvalidInput("invalid_theme", f"theme must be one of {', '.join(THEMES)}.")
    return theme
