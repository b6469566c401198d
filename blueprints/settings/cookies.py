"""The browser's own preferences kept in cookies (the page's language, its theme): for a year, out
of scripts' reach, sent over HTTPS only where the session cookie is (SESSION_COOKIE_SECURE, also
behind a proxy that ends TLS) or the request came over HTTPS."""
from __future__ import annotations

from flask import Response, current_app, request

COOKIE_SECONDS = 365 * 24 * 3600


def keep_preference(response: Response, name: str, value: str) -> None:
    response.set_cookie(name, value, max_age=COOKIE_SECONDS, samesite="Lax", httponly=True,
                        secure=request.is_secure or bool(current_app.config.get("SESSION_COOKIE_SECURE")))
