"""Login sessions and personal API tokens: start, check, list and end them.

Every login (password, code, QR, token page login) starts a `LoginSession` row; the browser
holds its id in the signed session cookie and a remember token in a long-lived cookie
(blueprints.identity). A session works while it is not ended, was used within
SESSION_IDLE_DAYS and is younger than SESSION_MAX_DAYS; `live_session_by_id` checks that at
every request and socket event with one query (the session's values and its user, no session
object), `find_live_session` where the session is to be changed (its remember token renewed),
and either writes `last_seen_at` at most once a minute.

Ending a session is final (a ban then an unban does not revive it) and cuts its live sockets
on every process (`SessionEnded`, the `session:<id>` room); revoking a token cuts its
sockets (`TokenRevoked`).
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, bindparam
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from actions.access import access_own_session, access_own_token, with_readable_conversation_ids
from actions.qr_login import withdraw_approvals_unchecked
from actions.security_log import record_security_event
from actions.token_hash import hash_token
from actions.validation import printable_line
from actions.web_push import forget_subscriptions
from events import atomic, connection_for_a_read, note_in_any_case, queue_event
from events.facts import SessionEnded, SignedInElsewhere, TokenRevoked
from extensions import db
from jobs.registry import crontab, job
from models import ApiToken, User
from models.login_session import LOGIN_METHODS, LoginSession
from models.time import utcnow

REMEMBER_PREFIX = "rs_"  # remember tokens; user ids never start so (blueprints.identity tells them apart)
SEEN_EVERY = timedelta(minutes=1)  # last_seen_at / last_used_at are written at most this often
USER_AGENT_MAX = 512
SIGNED_IN_ELSEWHERE = "signed_in_elsewhere"  # why SESSION_POLICY=single ended a session
# Why a session ends by its own act or by time; every other reason (revoked, a password changed or reset,
# an operator, the account closed, signed in elsewhere) also withdraws the account's QR-code approvals not yet used.
ENDED_BY_ITSELF = ("logout", "idle", "expired")


@dataclass(frozen=True)
class StartedSession:
    login_session: LoginSession
    remember_token: str  # for the browser's cookie; only its hash is stored


# -- starting and resuming -----------------------------------------------------------------------

@atomic()
def start_session(user: User, method: str, ip_address: str | None, user_agent: str | None) -> StartedSession:
    """A new login session for a user who just proved who they are (the caller checked)."""
    if method not in LOGIN_METHODS:
        raise ValueError(f"unknown login method {method!r}")
    user_agent = printable_line(user_agent, USER_AGENT_MAX)
    token = _new_remember_token()
    login_session = LoginSession(id=secrets.token_urlsafe(18), user_id=user.id, method=method,
                                 ip_address=(ip_address or "")[:45] or None, user_agent=user_agent,
                                 device=device_summary(user_agent), remember_hash=hash_token(token))
    db.session.add(login_session)
    db.session.flush()
    end_other_logins(user, keep_session_id=login_session.id)
    return StartedSession(login_session, token)


@atomic()
def end_other_logins(user: User, keep_session_id: str | None = None, keep_connection_id: str | None = None) -> None:
    """SESSION_POLICY=single, one live device at a time as in Tencent IM and WhatsApp: a new
    interactive login (a page's: `keep_session_id`; a gateway connection's: `keep_connection_id`)
    ends the user's other login sessions and closes their other gateway connections, each told
    "signed in elsewhere". Personal API tokens are not logins: programs using them over REST or
    Socket.IO go on, and a gateway client may log in with its token again (signing the others out)."""
    if current_app.config["SESSION_POLICY"] != "single":
        return
    end_sessions(user, keep_session_id=keep_session_id, reason=SIGNED_IN_ELSEWHERE)
    queue_event(SignedInElsewhere(user.id, keep_connection_id))


def find_live_session(session_id: object) -> LoginSession | None:
    """The session with this id, with its user, if it still works; else None. One query."""
    if not _well_formed_id(session_id):
        return None
    return _still_live(_select_live(LIVE_BY_ID, session_id))


def _well_formed_id(session_id: object) -> bool:
    return isinstance(session_id, str) and bool(session_id) and len(session_id) <= 32


def find_remembered_session(token: object) -> LoginSession | None:
    """The live session a remember token belongs to; else None."""
    if not isinstance(token, str) or not token.startswith(REMEMBER_PREFIX) or len(token) > 128:
        return None
    return _still_live(_select_live(LIVE_BY_REMEMBER_HASH, hash_token(token)))


def session_expires_at(login_session: LoginSession) -> datetime:
    """When the session ends at the latest (SESSION_MAX_DAYS after its login): the remember cookie's end too."""
    return _expiry(login_session.created_at)


@dataclass(frozen=True)
class LiveSession:
    """A live login session read by id (a page's request, its socket's connect and events): its id and
    its user, the one ORM object the request's actions take."""

    id: str
    user: User

    @property
    def user_id(self) -> int:
        return self.user.id


def live_session_by_id(session_id: object) -> LiveSession | None:
    """find_live_session's check for the session a cookie names (a page's request, its socket's connect
    and each event): the session's two times as values and its user in one query built once, not the
    session as an ORM object (issue 15, as actions.accounts.live_token_by_id); a use noted by one UPDATE
    at most once a minute, a session gone since its read updating nothing."""
    if not _well_formed_id(session_id):
        return None
    row = db.session.execute(SESSION_USER_BY_ID, {"session_id": session_id}).one_or_none()
    if row is None:
        return None
    user, created_at, last_seen_at = row
    now = utcnow()
    if _has_lapsed(created_at, last_seen_at, now):
        return None
    if _use_worth_noting(last_seen_at, now):
        _note_use(_SESSION_SEEN, {"session_id": session_id, "now": now})
    return LiveSession(session_id, user)


@dataclass(frozen=True)
class SessionHolder:
    """A live login session and what a page's socket needs of its user at connect (their id, what
    check_account_open asks, the conversations they may read: the socket's rooms), read as rows: no ORM
    objects (as actions.accounts.TokenHolder for a token's socket)."""

    session_id: str
    user_id: int
    confirmed_at: datetime | None
    must_change_password: bool
    readable_conversation_ids: tuple[int, ...]


def live_session_holder(session_id: object, cookie_user_id: object) -> SessionHolder | None:
    """live_session_by_id's check for a page's socket at its connect: the session the cookie names, if it
    still works and is the user's the cookie names too (Flask-Login's `_user_id`, as blueprints.identity
    load_user requires), with the conversations that user may read. One statement on a connection of its
    own, outside any unit of work (issue 15, connects); the session's use noted at most once a minute in
    a unit of its own. None otherwise: the caller then asks Flask-Login, which may resume the session
    from the remember cookie."""
    if not _well_formed_id(session_id) or not isinstance(cookie_user_id, str):
        return None
    with connection_for_a_read() as connection:
        rows = connection.execute(SESSION_HOLDER_BY_ID, {"session_id": session_id}).all()
    if not rows:
        return None
    created_at, last_seen_at, user_id, confirmed_at, must_change_password, _ = rows[0]
    now = utcnow()
    if str(user_id) != cookie_user_id or _has_lapsed(created_at, last_seen_at, now):
        return None
    if _use_worth_noting(last_seen_at, now):
        _note_use(_SESSION_SEEN, {"session_id": session_id, "now": now})
    readable = tuple(row.conversation_id for row in rows if row.conversation_id is not None)
    return SessionHolder(session_id, user_id, confirmed_at, must_change_password, readable)


@atomic()
def renew_remember_token(login_session: LoginSession) -> str:
    """A new remember token for a session (after a password change): the old cookie stops working."""
    token = _new_remember_token()
    login_session.remember_hash = hash_token(token)
    return token


def rotate_remember_token(login_session: LoginSession, presented: str) -> str | None:
    """A new remember token for a session resumed from its remember cookie `presented`, which stops
    working: a copy of the cookie taken before is then refused, and if the thief resumes first, the
    owner's cookie is the one refused (a sign to log in again and end the other sessions). Committed
    in a transaction of its own, whatever the request's answer, since the browser gets the new
    cookie with that answer. None if a concurrent request with the same cookie rotated it first:
    its answer carries the new cookie."""
    token = _new_remember_token()
    table = LoginSession.__table__
    with db.engine.begin() as connection:
        rotated = connection.execute(db.update(table).where(
            table.c.id == login_session.id, table.c.remember_hash == hash_token(presented), table.c.ended_at.is_(None),
        ).values(remember_hash=hash_token(token))).rowcount
    if not rotated:
        return None
    set_committed_value(login_session, "remember_hash", hash_token(token))
    return token


# A session that may still work: not ended, its user active (its times are _has_lapsed's). Both reads below.
_MAY_WORK = (LoginSession.ended_at.is_(None), User.active.is_(True))


def _live_sessions_where(column) -> Select:
    """Such a session, with its user: built once per column, the value a parameter (every request asks
    it, and building it anew each time cost about as much as running it)."""
    return (db.select(LoginSession).join(LoginSession.user).options(contains_eager(LoginSession.user))
            .where(column == bindparam("value"), *_MAY_WORK))


LIVE_BY_ID = _live_sessions_where(LoginSession.id)
LIVE_BY_REMEMBER_HASH = _live_sessions_where(LoginSession.remember_hash)
_sessions = LoginSession.__table__
# The same rows, the session's times as values and its user as an entity (live_session_by_id).
SESSION_USER_BY_ID = (db.select(User, LoginSession.created_at, LoginSession.last_seen_at)
                      .join_from(LoginSession, User, User.id == LoginSession.user_id)
                      .where(LoginSession.id == bindparam("session_id"), *_MAY_WORK))
_SESSION_SEEN = (db.update(_sessions).where(_sessions.c.id == bindparam("session_id"))
                 .values(last_seen_at=bindparam("now")))
_users = User.__table__
# The same check's values with the user's state and rooms, in Core, built once (live_session_holder).
SESSION_HOLDER_BY_ID = with_readable_conversation_ids(
    db.select(_sessions.c.created_at, _sessions.c.last_seen_at, _users.c.id, _users.c.confirmed_at,
              _users.c.must_change_password)
    .join_from(_sessions, _users, _users.c.id == _sessions.c.user_id)
    .where(_sessions.c.id == bindparam("session_id"), *_MAY_WORK), _users.c.id)


def _select_live(statement: Select, value: str) -> LoginSession | None:
    return db.session.execute(statement, {"value": value}).scalar_one_or_none()


def _still_live(login_session: LoginSession | None) -> LoginSession | None:
    if login_session is None:
        return None
    now = utcnow()
    if _has_lapsed(login_session.created_at, login_session.last_seen_at, now):
        return None
    if _use_worth_noting(login_session.last_seen_at, now):
        _note_use(_SESSION_SEEN, {"session_id": login_session.id, "now": now})
        set_committed_value(login_session, "last_seen_at", now)  # written: nothing for the ORM to flush
    return login_session


def _has_lapsed(created_at: datetime, last_seen_at: datetime, now: datetime) -> bool:
    """The one rule of a session's time (_timed_out is the same in SQL): unused for SESSION_IDLE_DAYS,
    or logged in SESSION_MAX_DAYS ago."""
    return now - last_seen_at >= _days("SESSION_IDLE_DAYS") or now >= _expiry(created_at)


def _expiry(created_at: datetime) -> datetime:
    return created_at + _days("SESSION_MAX_DAYS")


def _timed_out(now: datetime):
    """SQL: the session was unused for SESSION_IDLE_DAYS, or logged in SESSION_MAX_DAYS ago."""
    return ((LoginSession.last_seen_at <= now - _days("SESSION_IDLE_DAYS"))
            | (LoginSession.created_at <= now - _days("SESSION_MAX_DAYS")))


def _days(setting: str) -> timedelta:
    return timedelta(days=float(current_app.config[setting]))


def _new_remember_token() -> str:
    return REMEMBER_PREFIX + secrets.token_urlsafe(32)


# -- listing ---------------------------------------------------------------------------------------

def list_sessions(user: User) -> list[LoginSession]:
    """The user's sessions that still work, the most recently used first."""
    now = utcnow()
    rows = db.session.execute(
        db.select(LoginSession).where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None),
                                      ~_timed_out(now))
        .order_by(LoginSession.last_seen_at.desc(), LoginSession.created_at.desc())
    ).scalars()
    return list(rows)


def list_tokens(user: User) -> list[ApiToken]:
    """The user's API tokens that still work, the newest first."""
    now = utcnow()
    return list(db.session.execute(
        db.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None),
                                  (ApiToken.expires_at.is_(None)) | (ApiToken.expires_at > now))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).scalars())


# -- ending ----------------------------------------------------------------------------------------

def end_session_unchecked(login_session: LoginSession, reason: str, now: datetime | None = None) -> None:
    """End one session; callers authorized (its user logging out, access_own_session, an operator)."""
    login_session.ended_at = now or utcnow()
    login_session.ended_reason = reason
    login_session.remember_hash = None  # the remember cookie dies with it
    forget_subscriptions(login_session_id=login_session.id)  # nor is that browser pushed any more
    if reason not in ENDED_BY_ITSELF:  # the account taken back: nor does a QR login it approved come after
        withdraw_approvals_unchecked(login_session.user_id)
    record_security_event("logout" if reason == "logout" else "session_revoked", user=login_session.user,
                          detail=f"{reason}: {login_session.device}")
    queue_event(SessionEnded(login_session.user_id, login_session.id, reason))


@atomic()
def end_session(user: User, session_id: object, reason: str = "logout") -> bool:
    """End one of the user's sessions (logging out: the caller's own, from its cookie). False if
    it had ended already."""
    login_session = db.session.get(LoginSession, session_id) if isinstance(session_id, str) else None
    if login_session is None or login_session.user_id != user.id or login_session.ended_at is not None:
        return False
    end_session_unchecked(login_session, reason, utcnow())
    return True


@atomic()
def end_sessions(user: User, keep_session_id: str | None = None, reason: str = "ended") -> int:
    """End every session (and so every remember cookie) of the user except `keep_session_id`;
    their sockets are cut at once. Returns how many ended."""
    rows = db.session.execute(
        db.select(LoginSession).where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
    ).scalars().all()
    now = utcnow()
    ended = [row for row in rows if row.id != keep_session_id]
    for row in ended:
        end_session_unchecked(row, reason, now)
    return len(ended)


@atomic()
def end_timed_out_sessions() -> int:
    """End the sessions past SESSION_IDLE_DAYS unused or SESSION_MAX_DAYS old that nobody ended yet,
    so that their live sockets are cut too (a socket that sends nothing is never checked). Returns
    how many ended."""
    now = utcnow()
    rows = db.session.execute(
        db.select(LoginSession).where(LoginSession.ended_at.is_(None), _timed_out(now))
    ).scalars().all()
    for row in rows:
        end_session_unchecked(row, "expired" if now >= session_expires_at(row) else "idle", now)
    return len(rows)


@atomic()
def prune_ended_sessions() -> int:
    """Forget the sessions that ended more than SESSION_MAX_DAYS ago (the security log keeps what
    happened); returns how many rows went."""
    cutoff = utcnow() - _days("SESSION_MAX_DAYS")
    return db.session.execute(db.delete(LoginSession).where(LoginSession.ended_at < cutoff)).rowcount


@job(periodic=crontab(minute="*/5"))
def end_timed_out_sessions_job() -> None:
    """Job, every five minutes: timed-out sessions end and their sockets are cut; long-ended ones
    are forgotten. Safe to run twice."""
    end_timed_out_sessions()
    prune_ended_sessions()


@atomic()
def end_api_tokens(user: User) -> int:
    """Revoke every API token of the user; their sockets are cut at once, and the push subscriptions
    no login holds (a token's, or one stored before migration 0024) are forgotten: whoever held a token
    is pushed nothing more either. Returns how many tokens."""
    tokens = db.session.execute(
        db.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).scalars().all()
    now = utcnow()
    for token in tokens:
        token.revoked_at = now
        queue_event(TokenRevoked(user.id, token.id))
    forget_subscriptions(user_id=user.id, without_login=True)
    return len(tokens)


@atomic()
def revoke_own_session(user: User, session_id: object) -> LoginSession:
    """A user logs one of their sessions out (from the settings page or the API)."""
    login_session = access_own_session(user, session_id)
    end_session_unchecked(login_session, "revoked", utcnow())
    return login_session


@atomic()
def revoke_other_sessions(user: User, current_session_id: str | None) -> int:
    """"Log out all other sessions": every session but the caller's own (all of them for a token caller)."""
    return end_sessions(user, keep_session_id=current_session_id, reason="revoked")


@atomic()
def revoke_own_token(user: User, token_id: object) -> ApiToken:
    """A user revokes one of their API tokens."""
    token = access_own_token(user, token_id)
    token.revoked_at = utcnow()
    queue_event(TokenRevoked(user.id, token.id))
    forget_subscriptions(api_token_id=token.id)  # nor are the browsers it subscribed pushed any more
    return token


# -- tokens' use -------------------------------------------------------------------------------------

_TOKEN_USED = (db.update(ApiToken.__table__).where(ApiToken.__table__.c.id == bindparam("token_id"))
               .values(last_used_at=bindparam("now")))


def note_token_used(token_id: int, last_used_at: datetime | None) -> None:
    """Note that a token was used, at most once a minute (never a write per request or event): one
    UPDATE, built once; a token gone since it was read updates nothing."""
    now = utcnow()
    if _use_worth_noting(last_used_at, now):
        _note_use(_TOKEN_USED, {"token_id": token_id, "now": now})


@atomic()
def _note_use(statement, params: dict) -> None:
    """A credential's use (a token's, a login session's): in the unit of the request or event that read it,
    or in one of its own (a connect reads it outside any: actions.accounts.live_token_holder,
    live_session_holder). Noted even if the unit is refused: the credential was used."""
    note_in_any_case(statement, params)


def _use_worth_noting(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at >= SEEN_EVERY


# -- what the user agent says ---------------------------------------------------------------------

_BROWSERS = (("Edge", r"Edg(?:e|A|iOS)?/"), ("Opera", r"OPR/|Opera"), ("Samsung Internet", r"SamsungBrowser/"),
             ("Firefox", r"Firefox/|FxiOS/"), ("Chrome", r"Chrome/|CriOS/"), ("Safari", r"Safari/"))
_SYSTEMS = (("Android", r"Android"), ("iOS", r"iPhone|iPad|iPod"), ("Windows", r"Windows"),
            ("macOS", r"Mac OS X|Macintosh"), ("ChromeOS", r"CrOS"), ("Linux", r"Linux|X11"))
_PROGRAM = re.compile(r"^([A-Za-z][\w.-]{0,40})/")


def device_summary(user_agent: str | None) -> str:
    """What a person recognizes in a session list: "Firefox on Linux", "python-requests", "Unknown device"."""
    if not user_agent:
        return "Unknown device"
    browser = next((name for name, pattern in _BROWSERS if re.search(pattern, user_agent)), None)
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, user_agent)), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or system
    program = _PROGRAM.match(user_agent)  # python-requests/2.32, curl/8.5, an app's own name
    return program.group(1) if program else "Unknown device"
