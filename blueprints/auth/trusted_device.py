"""Browsers where an account's owner has logged in: a signed cookie lists those accounts, and
their logins are spared the account's lockout and per-account limit (actions/lockout.py),
which a guesser anywhere else could otherwise keep up for ever (OWASP's "device cookies").

The cookie proves only that this browser once knew the password: it skips no password check,
and the browser's own failures are still limited per address and counted toward the lock."""
from __future__ import annotations

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from models import User

COOKIE = "trusted_device"
TRUSTED_DAYS = 365
MAX_ACCOUNTS = 5  # a shared computer: the last few accounts that logged in here


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="trusted-device")


def trusted_user_ids() -> list[int]:
    """The accounts this browser has logged in to (the cookie's signature checked), newest first."""
    value = request.cookies.get(COOKIE)
    if not value:
        return []
    try:
        ids = _serializer().loads(value, max_age=TRUSTED_DAYS * 86400)
    except BadSignature:
        return []
    return [user_id for user_id in ids if isinstance(user_id, int)] if isinstance(ids, list) else []


def trust_this_browser(response: Response, user: User) -> Response:
    """After a successful password login: this browser is now trusted for `user` too."""
    ids = [user.id, *(user_id for user_id in trusted_user_ids() if user_id != user.id)][:MAX_ACCOUNTS]
    response.set_cookie(COOKIE, _serializer().dumps(ids), max_age=TRUSTED_DAYS * 86400, httponly=True,
                        secure=current_app.config["SESSION_COOKIE_SECURE"], samesite="Lax")
    return response
