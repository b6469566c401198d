"""Who is asking: one `Principal`, resolved here for every transport.

A principal is a user, how they authenticated ("session": the login cookie of a browser;
"token": an API bearer token) and which credential: the login session's id, or the token's
id. Each credential has a room (`session:<id>`, `token:<id>`) that the sockets opened with it
join, so ending one credential cuts exactly its sockets.

- Pages: Flask-Login's session cookie, read by `load_user` below. Logging in (`log_in`) starts
  a login session (actions.sessions: a row with its device, address and how it logged in) whose
  id the signed session cookie keeps, and sets the session's own remember cookie, which
  resumes that same session after the browser restarts, and is replaced by a new one each time it
  does (a copy of the old one stops working). `load_user` checks the row at every
  request (ended? idle? too old? user banned?), so a copied cookie stops working once the
  session ends: logging out (`log_out`), revoking it, a password change or reset, a ban.
- The JSON API and the file routes: a bearer token, else the cookie (`request_principal`).
- Sockets: `auth={"token": ...}`, else the cookie, at connect (`socket_opener`); the
  principal is remembered in the socket's session and resolved again at every event
  (`socket_principal`), so a deactivated user, an ended login session or a revoked token stops
  at once.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from flask import Response, after_this_request, current_app, request, session
from flask_login import current_user, encode_cookie, login_user, logout_user

from actions.access import list_readable_conversation_ids
from actions.accounts import check_account_open, live_credential, live_token, live_token_holder
from actions.errors import Unauthorized
from actions.security_log import record_security_event
from actions.sessions import (
    REMEMBER_PREFIX,
    find_live_session,
    find_remembered_session,
    live_session_by_id,
    live_session_holder,
    renew_remember_token,
    rotate_remember_token,
    session_expires_at,
    start_session,
)
from actions.sessions import end_session as end_login_session
from events import atomic
from extensions import login_manager
from models import User
from models.login_session import LoginSession
from models.time import utcnow
from realtime import credential_room

log = logging.getLogger(__name__)

LOGIN_SESSION_KEY = "login_session"  # in the Flask session: this browser's login session id
SOCKET_KEY = "principal"  # in a socket's own session: (method, credential, user id)


@dataclass(frozen=True)
class Principal:
    user: User
    method: Literal["session", "token"]
    credential: str | int | None  # the login session's id, or the API token's id
    expires_at: datetime | None = None  # an API token's end, as read with it (the gateway's pings); None: never

    @property
    def session_id(self) -> str | None:
        """The login session of a cookie caller; None for a bearer token (which is not a session)."""
        return self.credential if self.method == "session" else None

    @property
    def token_id(self) -> int | None:
        """The API token of a bearer caller; None for a login session."""
        return self.credential if self.method == "token" else None

    @property
    def room(self) -> str | None:
        """The sockets opened with this credential."""
        return credential_room(self.method, self.credential)


@dataclass(frozen=True)
class SocketOpener:
    """Who opens a socket, as much as its connect needs: the user's id, the credential and the
    conversations the user may read (the socket's rooms); no ORM objects. The socket's events resolve
    a full `Principal` (socket_principal)."""

    user_id: int
    method: Literal["session", "token"]
    credential: str | int | None
    readable_conversation_ids: tuple[int, ...]  # its rooms (a token's, read with the token)

    @property
    def room(self) -> str | None:
        """The sockets opened with this credential."""
        return credential_room(self.method, self.credential)


# -- the session cookie --------------------------------------------------------------------------

@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of this browser's login session if it still works (one query); else None.

    Flask-Login calls this with the user id the session cookie holds, or, when that fails, with
    what the remember cookie holds (verified with SECRET_KEY): our remember token, which
    resumes its own session. The row decides, never the id alone: a cookie from before login
    sessions, or from an ended one, logs nobody in."""
    if isinstance(user_id, str) and user_id.startswith(REMEMBER_PREFIX):
        login_session = find_remembered_session(user_id)
        session.pop("_user_id", None)  # Flask-Login put the token there; never keep it in the cookie
        if login_session is not None:
            session["_user_id"] = str(login_session.user_id)
            session[LOGIN_SESSION_KEY] = login_session.id
            _rotate_remember_cookie(login_session, user_id)
    else:
        login_session = live_session_by_id(session.get(LOGIN_SESSION_KEY))  # its values and its user
        if login_session is not None and str(login_session.user_id) != user_id:
            login_session = None
    return login_session.user if login_session is not None else None


def _rotate_remember_cookie(login_session: LoginSession, presented: str) -> None:
    """A browser session started from the remember cookie gets a new remember token (the old one
    stops working), when an HTTP answer is there to carry it: not on a socket's connection, whose
    answer sets no cookie (the browser would keep a token that no longer works)."""
    if getattr(request, "sid", None) is not None:  # Flask-SocketIO's connect and events
        return
    try:
        token = rotate_remember_token(login_session, presented)
    except Exception:  # noqa: BLE001  (the database busy: this browser keeps its cookie, logged in all the same)
        log.warning("could not rotate the remember token of session %s", login_session.id, exc_info=True)
        return
    if token is not None:
        _set_remember_cookie(token, login_session)


def log_in(user: User, method: str = "password") -> LoginSession:
    """Log the browser in: a new login session (method: "password", "code", "qr" or "token"),
    its id in the session cookie, its remember token in the remember cookie."""
    started = start_session(user, method, request.remote_addr, request.headers.get("User-Agent"))
    record_security_event("login", user=user, detail=method)  # with the address and the browser
    login_user(user, remember=False)  # the remember cookie is ours, per session (below)
    session[LOGIN_SESSION_KEY] = started.login_session.id
    _set_remember_cookie(started.remember_token, started.login_session)
    return started.login_session


def log_out() -> None:
    """Log the browser out: its login session ends (its cookies stop working anywhere) and the
    sockets it opened are cut; the user's other sessions go on."""
    user = current_user._get_current_object()
    session_id = session.pop(LOGIN_SESSION_KEY, None)
    logout_user()
    _clear_remember_cookie()
    if session_id is not None:
        end_login_session(user, session_id)


def current_session_id() -> str | None:
    """The caller's login session (None for a bearer-token caller)."""
    return session.get(LOGIN_SESSION_KEY) if current_user.is_authenticated else None


def renew_remember_cookie() -> None:
    """A new remember token for this browser's session (after a password change)."""
    login_session = find_live_session(current_session_id())
    if login_session is not None:
        _set_remember_cookie(renew_remember_token(login_session), login_session)


def _set_remember_cookie(token: str, login_session: LoginSession) -> None:
    config = current_app.config
    expires = session_expires_at(login_session)

    @after_this_request
    def set_cookie(response: Response) -> Response:
        response.set_cookie(config["REMEMBER_COOKIE_NAME"], encode_cookie(token), expires=expires,
                            max_age=max(0, int((expires - utcnow()).total_seconds())), path="/",
                            domain=config.get("REMEMBER_COOKIE_DOMAIN"), secure=config["REMEMBER_COOKIE_SECURE"],
                            httponly=config["REMEMBER_COOKIE_HTTPONLY"], samesite=config["REMEMBER_COOKIE_SAMESITE"])
        return response


def _clear_remember_cookie() -> None:
    config = current_app.config

    @after_this_request
    def clear_cookie(response: Response) -> Response:
        response.delete_cookie(config["REMEMBER_COOKIE_NAME"], path="/", domain=config.get("REMEMBER_COOKIE_DOMAIN"),
                               secure=config["REMEMBER_COOKIE_SECURE"], httponly=config["REMEMBER_COOKIE_HTTPONLY"],
                               samesite=config["REMEMBER_COOKIE_SAMESITE"])
        return response


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
        principal = token_principal(token)
        if principal is None:
            raise Unauthorized("invalid_token", "The bearer token is invalid, expired or revoked.")
        return principal
    principal = _cookie_principal()
    if principal is None:
        raise Unauthorized("unauthorized", "Log in or send a bearer token.")
    return principal


# -- Socket.IO -------------------------------------------------------------------------------------

def socket_opener(auth: object) -> SocketOpener | None:
    """Who opens a socket: `auth={"token": ...}` if given (and then only that), else the cookie; None if
    that does not work, an ActionError if their account is not open (check_account_open). A token, and
    the login session a cookie names, are read by one statement outside any unit of work
    (actions.accounts.live_token_holder, actions.sessions.live_session_holder: at a reconnect storm's
    thousands of connects a second, a unit and the ORM's objects cost more than the statement). A cookie
    whose session that does not find is asked of Flask-Login in a unit, as every request asks it: it may
    resume the session from the remember cookie (load_user), or log nobody in."""
    if isinstance(auth, dict) and auth.get("token"):
        holder = live_token_holder(auth.get("token"))
        if holder is None:
            return None
        check_account_open(holder)
        return SocketOpener(holder.user_id, "token", holder.token_id, holder.readable_conversation_ids)
    held = live_session_holder(session.get(LOGIN_SESSION_KEY), session.get("_user_id"))
    if held is not None:
        check_account_open(held)
        return SocketOpener(held.user_id, "session", held.session_id, held.readable_conversation_ids)
    with atomic():
        principal = _cookie_principal()
        if principal is None:
            return None
        check_account_open(principal.user)
        return SocketOpener(principal.user.id, principal.method, principal.credential,
                            tuple(list_readable_conversation_ids(principal.user.id)))


def remember_socket_principal(opener: SocketOpener) -> None:
    session[SOCKET_KEY] = (opener.method, opener.credential, opener.user_id)


def socket_principal() -> Principal | None:
    """The connected socket's principal, read again: None once its user is deactivated, its
    login session ended or timed out, or its token revoked or expired (the socket is then cut)."""
    remembered = session.get(SOCKET_KEY)
    if remembered is None:
        return None
    return opened_with(*remembered)


def opened_with(method: str, credential: object, user_id: int) -> Principal | None:
    """The principal of a connection opened by `user_id` with this credential (`"session"` and a
    login session's id, or `"token"` and a token's id), read now: None once it no longer works."""
    found = live_credential(method, credential, user_id)  # with its user, in one query
    if found is None:
        return None
    if method == "token":
        return Principal(found.user, "token", found.id, found.expires_at)
    return Principal(found.user, "session", credential)


def socket_user_id() -> int | None:
    """The connected socket's user as remembered at connect, whatever became of them since: for the
    disconnect, and for what is asked before the principal is read again (the send rate:
    blueprints.chat.socket_support's `admit`)."""
    remembered = session.get(SOCKET_KEY)
    return remembered[2] if remembered is not None else None


# -- API tokens presented: API requests and the bzGhost gateway (gateway/) ---------------------------

def token_principal(token: object) -> Principal | None:
    """Who presents an API token (an API request's bearer token, a gateway login packet): None unless it is live."""
    found = live_token(token)
    return Principal(found.user, "token", found.id, found.expires_at) if found is not None else None


