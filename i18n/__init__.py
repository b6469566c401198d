"""The interface in English and Simplified Chinese (Flask-Babel).

Which language a request is answered in (`select_locale`): the one the user chose (the
`language` column, set on /settings), else the `language` cookie the login pages' switch sets,
else the browser's Accept-Language (any Chinese tag reads Simplified Chinese: the only Chinese
there is), else English. Times are shown in the user's time zone (`time_zone`, the profile's)
when one is set, else UTC on server-rendered pages; the chat page formats them itself in the
browser's zone unless the profile names one.

Two catalogue domains under translations/: `messages` (Python and templates, extracted with
babel.cfg) and `client` (the chat page's scripts, extracted with babel-client.cfg), compiled to
.mo files by scripts/bootstrap (`scripts/translations compile`), never committed. API error
messages stay English: their `code` is the stable part (docs/protocol.md); pages translate the
codes they know. docs/translations.md tells how to add a string.
"""
from __future__ import annotations

import logging
import os
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from flask import Flask, has_request_context, request
from flask_login import current_user
from markupsafe import Markup

from extensions import babel

log = logging.getLogger(__name__)

LANGUAGES = {"en": "English", "zh_Hans_CN": "简体中文"}  # the language codes a user may choose
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "language"
TRANSLATIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "translations")


def init_app(app: Flask) -> None:
    """Flask-Babel with this project's choice of language and time zone; `_()` in templates."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", TRANSLATIONS)
    compile_stale_catalogues()
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_time_zone)
    from i18n.errors import error_text

    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, html_language=html_language, Markup=Markup,
                                 html_language_code=language_code, client_catalogue=current_client_catalogue,
                                 error_text=error_text)
    app.jinja_env.filters["local_datetime"] = local_datetime


def compile_stale_catalogues() -> None:
    """Compile each .po whose .mo is missing or older (a fresh clone that skipped scripts/bootstrap,
    a .po just edited); written to a temporary file and renamed, so a concurrent reader never sees
    half a catalogue. A checkout that cannot be written keeps what it has, with a warning."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for language in LANGUAGES:
        folder = os.path.join(TRANSLATIONS, language, "LC_MESSAGES")
        for domain in ("messages", "client"):
            source, compiled = os.path.join(folder, f"{domain}.po"), os.path.join(folder, f"{domain}.mo")
            if not os.path.exists(source) or (
                    os.path.exists(compiled) and os.path.getmtime(compiled) >= os.path.getmtime(source)):
                continue
            try:
                with open(source, "rb") as handle:
                    catalogue = read_po(handle, locale=language, domain=domain)
                temporary = f"{compiled}.{os.getpid()}.tmp"
                with open(temporary, "wb") as handle:
                    write_mo(handle, catalogue)
                os.replace(temporary, compiled)
            except OSError as error:
                log.warning("could not compile %s: %s (run scripts/translations compile)", source, error)


def negotiate(accept_language: str | None) -> str | None:
    """The supported language an Accept-Language header asks for first, or None."""
    from werkzeug.datastructures import LanguageAccept
    from werkzeug.http import parse_accept_header

    for tag, _quality in parse_accept_header(accept_language or "", LanguageAccept):
        primary = tag.replace("_", "-").split("-")[0].lower()
        if primary == "zh":
            return "zh_Hans_CN"
        if primary == "en":
            return "en"
    return None


def user_language(user: object) -> str | None:
    """The language a user chose, if any (None: follow the browser)."""
    language = getattr(user, "language", None)
    return language if language in LANGUAGES else None


def select_locale() -> str:
    """The user's choice, the login pages' cookie, the browser's Accept-Language, English."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    chosen = user_language(current_user) if current_user.is_authenticated else None
    if chosen:
        return chosen
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    return negotiate(request.headers.get("Accept-Language")) or DEFAULT_LANGUAGE


def request_language() -> str | None:
    """The language the current request is answered in (None outside a request): what a message
    sent later on its behalf (a code by e-mail) is written in when the account chose none."""
    if not has_request_context():
        return None
    from flask_babel import get_locale

    return str(get_locale())


def user_time_zone(user: object) -> str | None:
    """The profile's IANA time zone name if it is one this machine knows, else None."""
    name = getattr(user, "time_zone", None)
    if not name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def select_time_zone() -> str | None:
    """The signed-in user's time zone, else None (UTC)."""
    if has_request_context() and current_user.is_authenticated:
        return user_time_zone(current_user)
    return None


def language_code() -> str:
    """The request's language as a code of LANGUAGES."""
    from flask_babel import get_locale

    return str(get_locale())


def html_language() -> str:
    """The page's `lang` attribute: en or zh-Hans-CN (BCP 47)."""
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale.language == "en" else str(locale).replace("_", "-")


def local_datetime(moment, never: str | None = None) -> str:
    """A stored (naive UTC) time in the reader's time zone and language, with the zone named."""
    from flask_babel import format_date, format_time, get_timezone, gettext

    if moment is None:
        return never if never is not None else gettext("never")
    zone = get_timezone()
    try:
        return f"{format_date(moment, 'medium')} {format_time(moment, 'short')} {getattr(zone, 'zone', zone)}"
    except OverflowError:  # a time near the end of year 9999, east of UTC: shown as stored, in UTC
        return f"{moment.isoformat(timespec='minutes')} UTC"


def current_client_catalogue() -> dict:
    """The chat page's strings in the request's language: {locale, plurals, strings, errors,
    time_zone} (errors: i18n.errors' table; time_zone: the profile's, or null for the browser's)."""
    from flask_babel import get_locale

    from i18n.errors import error_table

    user = current_user if has_request_context() and current_user.is_authenticated else None
    return {**client_catalogue(str(get_locale())), "errors": error_table(), "time_zone": user_time_zone(user)}


@lru_cache(maxsize=8)
def client_catalogue(language: str) -> dict:
    """The `client` domain's compiled catalogue as JSON-ready data (empty for English)."""
    from babel.messages.mofile import read_mo

    path = os.path.join(TRANSLATIONS, language, "LC_MESSAGES", "client.mo")
    strings: dict[str, object] = {}
    plurals = 2
    if language in LANGUAGES and os.path.exists(path):
        with open(path, "rb") as handle:
            catalogue = read_mo(handle)
        plurals = catalogue.num_plurals
        for message in catalogue:
            if not message.id or not message.string:
                continue
            if isinstance(message.id, (tuple, list)):  # a plural: its forms, by the language's rule
                strings[message.id[0]] = list(message.string)
            else:
                strings[message.id] = message.string
    return {"locale": str(Locale.parse(language)).replace("_", "-"), "plurals": plurals, "strings": strings}
