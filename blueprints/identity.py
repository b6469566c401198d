"""Who is asking: one `Principal`, resolved here for every transport.

A principal is a user, how they authenticated ("session": the login cookie of a browser;
"token": an API bearer token) and which credential: the login session's id, or the token's
id. Each credential has a room (`session:<id>`, `token:<id>`) that the sockets opened with it
join, so ending one credential cuts exactly its sockets.

- Pages: Flask-Login's session cookie, read by `load_user` below. Logging in (`log_in`) gives
  the browser a random login session id, kept in the signed session cookie; logging out
  (`log_out`) ends it and cuts that browser's sockets.
- The JSON API and the file routes: a bearer token, else the cookie (`request_principal`).
- Sockets: `auth={"token": ...}`, else the cookie, at connect (`connecting_principal`); the
  principal is remembered in the socket's session and resolved again at every event
  (`socket_principal`), so a deactivated user or a revoked token stops at once.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Literal

from flask import request, session
from flask_login import current_user, login_user, logout_user

from actions.accounts import end_login_session, live_token, live_token_by_id
from actions.errors import Unauthorized
from extensions import db, login_manager
from models import User
from realtime import session_room, token_room

LOGIN_SESSION_KEY = "login_session"  # in the Flask session: this browser's login session id
SOCKET_KEY = "principal"  # in a socket's own session: (method, credential, user id)


@dataclass(frozen=True)
class Principal:
    user: User
    method: Literal["session", "token"]
    credential: str | int | None  # the login session's id, or the API token's id

    @property
    def room(self) -> str | None:
        """The sockets opened with this credential."""
        if self.credential is None:  # a cookie from before login sessions had ids: none to join
            return None
        return token_room(self.credential) if self.method == "token" else session_room(self.credential)


# -- the session cookie --------------------------------------------------------------------------

@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    # A deactivated account's sessions stop working at their next request.
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    return user if user is not None and user.active else None


def log_in(user: User) -> None:
    """Log the browser in with a new login session id (the room its sockets join)."""
    login_user(user, remember=True)
    session[LOGIN_SESSION_KEY] = _new_session_id()


def keep_login_session() -> None:
    """Before each page request: a browser logged in by its remember-me cookie, or before login
    sessions had ids, gets one, so that its next sockets can be cut at its logout."""
    if LOGIN_SESSION_KEY not in session and current_user.is_authenticated:
        session[LOGIN_SESSION_KEY] = _new_session_id()


def log_out() -> None:
    """Log the browser out; the sockets it opened with its cookie are cut, the user's others go on."""
    user = current_user._get_current_object()
    session_id = session.pop(LOGIN_SESSION_KEY, None)
    logout_user()
    if session_id is not None:
        end_login_session(user, session_id)


def _new_session_id() -> str:
    return secrets.token_urlsafe(18)


def _cookie_principal() -> Principal | None:
    if not current_user.is_authenticated:  # load_user refused inactive accounts already
        return None
    return Principal(current_user._get_current_object(), "session", session.get(LOGIN_SESSION_KEY))


# -- HTTP: the API and the file routes -----------------------------------------------------------

def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def request_principal() -> Principal:
    """The caller of an API request: its bearer token, else its session cookie; 401 otherwise."""
    token = bearer_token()
    if token is not None:
        record = live_token(token)
        if record is None:
            raise Unauthorized("invalid_token", "The bearer token is invalid, expired or revoked.")
        return Principal(record.user, "token", record.id)
    principal = _cookie_principal()
    if principal is None:
        raise Unauthorized("unauthorized", "Log in or send a bearer token.")
    return principal


# -- Socket.IO -------------------------------------------------------------------------------------

def connecting_principal(auth: object) -> Principal | None:
    """Who opens a socket: `auth={"token": ...}` if given (and then only that), else the cookie."""
    if isinstance(auth, dict) and auth.get("token"):
        record = live_token(auth.get("token"))
        return Principal(record.user, "token", record.id) if record is not None else None
    return _cookie_principal()


def remember_socket_principal(principal: Principal) -> None:
    session[SOCKET_KEY] = (principal.method, principal.credential, principal.user.id)


def socket_principal() -> Principal | None:
    """The connected socket's principal, read again: None once its user is deactivated or its
    token revoked or expired (the socket is then cut)."""
    remembered = session.get(SOCKET_KEY)
    if remembered is None:
        return None
    method, credential, user_id = remembered
    if method == "token":
        record = live_token_by_id(credential)
        return Principal(record.user, "token", record.id) if record is not None else None
    user = db.session.get(User, user_id)
    return Principal(user, "session", credential) if user is not None and user.active else None


def socket_user_id() -> int | None:
    """The connected socket's user, whatever became of them since (for the disconnect)."""
    remembered = session.get(SOCKET_KEY)
    return remembered[2] if remembered is not None else None
