"""Where a redirect may lead: a path on this site, never another host (after a login, a language change,
a back-office form)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import request


def is_site_path(target: str) -> bool:
    """`/…` on this site: no scheme or host (not even "http:evil.example", which browsers read as a host
    once it is in a Location header), not "//host"; no backslash (browsers read it as "/"), no whitespace
    or control character (browsers drop tabs and newlines)."""
    suspicious = "\\" in target or any(character.isspace() or ord(character) < 32 or ord(character) == 127
                                       for character in target)
    parts = urlsplit(target)
    return (not suspicious and not parts.scheme and not parts.netloc and target.startswith("/")
            and not target.startswith("//"))


def return_address(fallback: str, within: str = "/") -> str:
    """Where a detour (the login page, the password change an operator's reset asks for) leads back to: the
    page asked for; for a form sent (a POST, whose address a GET after the detour answers 405) the page it was
    sent from, under `within` on this site (its Referer), else `fallback`. The form is not sent again."""
    if request.method in ("GET", "HEAD"):
        return this_page()
    sent_from = urlsplit(request.referrer or "")
    page = sent_from.path + (f"?{sent_from.query}" if sent_from.query else "")
    if sent_from.netloc == request.host and is_site_path(page) and page.startswith(within):
        return page
    return fallback


def this_page() -> str:
    """The path and query asked for: `/settings`, `/settings?tab=2` (werkzeug's full_path always has the
    `?`: `/settings?`)."""
    return request.full_path if request.query_string else request.path
