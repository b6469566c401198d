"""A user's interface preferences: the language of the pages and e-mails (i18n.LANGUAGES), and the
theme's names (kept in the browser's cookie: blueprints/settings/theme.py)."""
from __future__ import annotations

from actions.validation import check_choice, check_language
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
    """One of THEMES; anything else is refused (invalid_theme), as every choice is (check_choice)."""
    return check_choice(theme, "theme", THEMES)
