"""QR-code login, as WhatsApp Web does it: a waiting login page shows a code, a logged-in
device approves it, and the page exchanges a single-use ticket for a session.

1. The page's anonymous socket (namespace /qr-login) asks for a code: `request_qr_login` stores
   one bound to that socket and that browser; `advance_qr_login` replaces it every
   QR_LOGIN_ROTATE_SECONDS, QR_LOGIN_CODES times, then lets it expire.
2. A logged-in user opens the code's link: `scan_qr_login` (the page is told `qr:scanned`; the
   code stops rotating and waits QR_LOGIN_APPROVE_SECONDS for a decision, by that user only),
   then `decide_qr_login` approves or refuses (the page is told `qr:approved` / `qr:refused`).
3. The approved page asks for its ticket over the same socket (`issue_qr_ticket`) and posts it
   from the same browser (`redeem_qr_ticket`): the session is created by that one POST.

Tokens and tickets are random, stored hashed, single-use, and short-lived; a token is useless
without its socket (only that socket gets the ticket) and a ticket without its browser.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from actions.errors import ActionError, Conflict, Forbidden, InvalidInput, NotFound
from actions.rate_limits import limit_qr_request
from actions.token_hash import hash_token
from actions.validation import printable_line
from events import atomic, queue_event
from events.facts import QrLoginAnswered
from extensions import db
from models import QrLogin, User
from models.time import utcnow

TICKET_SECONDS = 30  # from approval to the ticket's exchange: the page does both at once
FORGET_AFTER = timedelta(days=1)  # rows older than this are deleted when new ones are made
OPEN_STATES = ("waiting", "scanned", "approved", "ticketed")
MAX_TOKEN_LENGTH = 64


class Gone(ActionError):
    status = 410


def _expired() -> Gone:
    return Gone("qr_expired", "This QR code has expired. Show a new one on the other device.")


@dataclass(frozen=True)
class IssuedQrLogin:
    token: str  # in the code's link; only its hash is stored
    expires_at: datetime


@dataclass(frozen=True)
class Advance:
    """What became of a socket's code when its time came: a new code, nothing yet, or the end."""

    outcome: str  # "code" (a new token), "wait", "expired" (the page must ask again), "done"
    issued: IssuedQrLogin | None = None
    wait_until: datetime | None = None


@atomic()
def request_qr_login(socket_id: str, browser_key: str, user_agent: str, address: str | None) -> IssuedQrLogin:
    """A waiting page asks for a code: counted per client address (429 `rate_limited`); the
    socket's earlier codes expire."""
    if not browser_key:
        raise InvalidInput("qr_no_session", "Load the login page first: its cookie binds the code to this browser.")
    limit_qr_request(address)
    _expire_open(socket_id)
    db.session.execute(db.delete(QrLogin).where(QrLogin.created_at < utcnow() - FORGET_AFTER))
    return _issue(socket_id, browser_key, user_agent, address)


def _issue(socket_id: str, browser_key: str, user_agent: str, address: str | None) -> IssuedQrLogin:
    token = secrets.token_urlsafe(24)
    expires_at = utcnow() + timedelta(seconds=current_app.config["QR_LOGIN_ROTATE_SECONDS"])
    db.session.add(QrLogin(token_hash=hash_token(token), socket_id=socket_id, browser_key=browser_key,
                           user_agent=printable_line(user_agent, 300) or "", address=(address or "")[:64],
                           state="waiting", expires_at=expires_at))
    db.session.flush()
    return IssuedQrLogin(token, expires_at)


def _expire_open(socket_id: str, states: tuple[str, ...] = OPEN_STATES) -> None:
    db.session.execute(db.update(QrLogin).where(QrLogin.socket_id == socket_id, QrLogin.state.in_(states))
                       .values(state="expired"))


def _latest(socket_id: str) -> QrLogin | None:
    """The socket's newest code, locked (PostgreSQL): a scan at the last moment and its replacement
    are decided one after the other, the second seeing what the first did."""
    return db.session.execute(
        db.select(QrLogin).where(QrLogin.socket_id == socket_id).order_by(QrLogin.id.desc()).limit(1)
        .with_for_update()
    ).scalar_one_or_none()


@atomic()
def advance_qr_login(socket_id: str, may_issue: bool) -> Advance:
    """The socket's latest code once its time may be up: replaced by a new one while the page
    may have more (`may_issue`), else expired; a scanned or approved code waits for its decision."""
    login = _latest(socket_id)
    if login is None or login.state in ("refused", "used", "expired"):
        return Advance("done")
    if login.expires_at > utcnow():
        return Advance("wait", wait_until=login.expires_at)
    scanned = login.user_id is not None
    login.state = "expired"
    if may_issue and not scanned:  # nobody looked at it: the next code of the series
        return Advance("code", issued=_issue(socket_id, login.browser_key, login.user_agent, login.address))
    return Advance("expired")


@atomic()
def close_qr_logins(socket_id: str) -> None:
    """The waiting page went away: its codes, approved or not, can no longer be used. A ticket it
    was given stays good (bound to its browser, for 30 s): the page leaves as it posts it."""
    _expire_open(socket_id, ("waiting", "scanned", "approved"))


@atomic()
def withdraw_approvals_unchecked(user_id: int) -> None:
    """The account was taken back (one of its sessions revoked, its password changed or reset, the account
    closed: actions.sessions calls this): the codes it approved that no page has logged in with yet stop
    working, and their pages are told `qr:expired`. Else a session ended so (a stolen cookie) would come back
    through an approval it made a moment before, a login made after its end."""
    pages = db.session.execute(
        db.update(QrLogin).where(QrLogin.user_id == user_id, QrLogin.state.in_(("approved", "ticketed")))
        .values(state="expired").returning(QrLogin.socket_id).execution_options(synchronize_session=False)
    ).scalars().all()
    for socket_id in pages:
        queue_event(QrLoginAnswered(socket_id, "expired"))


def _by_token(token: object) -> QrLogin:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise NotFound("qr_not_found", "This QR code is not known. Show a new one on the other device.")
    login = db.session.execute(
        db.select(QrLogin).where(QrLogin.token_hash == hash_token(token)).with_for_update()
    ).scalar_one_or_none()
    if login is None:
        raise NotFound("qr_not_found", "This QR code is not known. Show a new one on the other device.")
    return login


def _check_open_for(user: User, login: QrLogin) -> None:
    if login.state in ("approved", "ticketed", "used", "refused"):
        raise Gone("qr_used", "This QR code was used already. Show a new one on the other device.")
    if login.state == "expired" or login.expires_at <= utcnow():
        raise _expired()
    if login.user_id is not None and login.user_id != user.id:
        raise Forbidden("qr_scanned_by_another", "Someone else scanned this QR code.")


@atomic()
def scan_qr_login(user: User, token: object) -> QrLogin:
    """A logged-in user opened a code's link: the waiting page is told, and the code waits
    QR_LOGIN_APPROVE_SECONDS for this user's decision (no one else's)."""
    login = _by_token(token)
    _check_open_for(user, login)
    if login.state == "waiting":
        login.state, login.user_id = "scanned", user.id
        login.expires_at = utcnow() + timedelta(seconds=current_app.config["QR_LOGIN_APPROVE_SECONDS"])
        queue_event(QrLoginAnswered(login.socket_id, "scanned"))
    return login


@atomic()
def decide_qr_login(user: User, token: object, approve: bool) -> QrLogin:
    """The user approves (the waiting page may then log in as them) or refuses a scanned code."""
    login = scan_qr_login(user, token)
    login.decided_at = utcnow()
    if approve:
        login.state = "approved"
        login.expires_at = login.decided_at + timedelta(seconds=TICKET_SECONDS)
    else:
        login.state = "refused"
    queue_event(QrLoginAnswered(login.socket_id, login.state))
    return login


@atomic()
def issue_qr_ticket(socket_id: str) -> str:
    """The approved page's socket asks for its ticket: given once, to that socket only."""
    login = _latest(socket_id)
    if login is None or login.state != "approved":
        raise Conflict("qr_not_approved", "No approved QR code on this connection.")
    if login.expires_at <= utcnow():
        raise _expired()
    ticket = secrets.token_urlsafe(32)
    login.state, login.ticket_hash = "ticketed", hash_token(ticket)
    login.expires_at = utcnow() + timedelta(seconds=TICKET_SECONDS)
    return ticket


@atomic()
def redeem_qr_ticket(ticket: object, browser_key: str) -> User:
    """The page posts its ticket: the approver's account, once, from the browser that showed the code."""
    refused = Gone("qr_ticket_invalid", "This QR login is expired or was used already. Show a new code.")
    if not isinstance(ticket, str) or not ticket or len(ticket) > MAX_TOKEN_LENGTH or not ticket.isascii():
        raise refused
    now = utcnow()
    # One UPDATE decides: of two posts of the same ticket, only one finds it still "ticketed".
    user_id = db.session.execute(
        db.update(QrLogin).where(QrLogin.ticket_hash == hash_token(ticket), QrLogin.state == "ticketed",
                                 QrLogin.expires_at > now, QrLogin.browser_key == browser_key)
        .values(state="used", used_at=now).returning(QrLogin.user_id)
    ).scalar_one_or_none()
    if user_id is None or not browser_key:
        raise refused
    account = db.session.get(User, user_id)
    if account is None or not account.active:
        raise refused
    return account


def browser_key(secret: str | None) -> str:
    """What binds a code to one browser: a hash of its session's CSRF secret ("" without one)."""
    return hash_token("qr-login:" + secret) if secret else ""
