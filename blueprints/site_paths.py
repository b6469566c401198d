"""Where a redirect may lead: a path on this site, never another host (after a login, a language change,
a back-office form)."""
from __future__ import annotations

from urllib.parse import urlsplit


def is_site_path(target: str) -> bool:
    """`/…` on this site: no scheme or host (not even "http:evil.example", which browsers read as a host
    once it is in a Location header), not "//host"; no backslash (browsers read it as "/"), no whitespace
    or control character (browsers drop tabs and newlines)."""
    suspicious = "\\" in target or any(character.isspace() or ord(character) < 32 or ord(character) == 127
                                       for character in target)
    parts = urlsplit(target)
    return (not suspicious and not parts.scheme and not parts.netloc and target.startswith("/")
            and not target.startswith("//"))
