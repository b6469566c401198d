"""Accounts: registration, password checks, API tokens, user search."""
from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, bindparam, or_, select

from actions.access import with_readable_conversation_ids
from actions.errors import Conflict, Forbidden, InvalidInput, Unauthorized
from actions.lockout import (
    check_not_locked,
    check_password_again_not_locked,
    note_failed_login,
    note_failed_password_again,
    note_password_given_again,
    note_successful_login,
    password_again_key,
)
from actions.rate_limits import Attempt, count_attempt, hashed
from actions.sessions import LiveSession, SessionHolder, live_session_by_id, note_token_used
from actions.token_hash import hash_token
from actions.validation import (
    PHONE_LIKE,
    check_email,
    check_password,
    check_phone,
    check_string,
    check_username,
    is_clean_text,
)
from actions.web_push import forget_subscriptions
from events import atomic, connection_for_a_read, queue_event
from events.facts import MemberAccountChanged, TokenRevoked
from extensions import db
from models import AccountCode, ApiToken, Conversation, Membership, User
from models.database import LIKE_ESCAPE, contains_pattern
from models.time import isoformat, utcnow
from models.user import check_password_of_nobody

TOKEN_PREFIX = "sbt_"


@atomic()
def register_user(username: str, password: str, display_name: str | None = None,
                  email: str | None = None, phone: str | None = None, role: str = "user",
                  confirmed: bool = True) -> User:
    """Create an account. Usernames, emails and phones are unique. The email and phone given here
    count as confirmed (operators, the command line); people registering themselves confirm theirs
    with a code (actions.registration). `confirmed` False: the account can only confirm, for now."""
    username = check_username(username)
    password = check_password(password, username)
    display_name = check_string(display_name or username, "display_name", max_length=64)
    email = check_email(email)
    phone = check_phone(phone)
    if db.session.execute(db.select(User.id).where(User.username == username)).first():
        raise Conflict("username_taken", "That username is taken.")
    if email and db.session.execute(db.select(User.id).where(User.email == email)).first():
        raise Conflict("email_taken", "That email address is already registered.")
    if phone and db.session.execute(db.select(User.id).where(User.phone == phone)).first():
        raise Conflict("phone_taken", "That phone number is already registered.")
    now = utcnow()
    user = User(username=username, display_name=display_name, email=email, phone=phone, role=role,
                confirmed_at=now if confirmed else None, email_confirmed_at=now if email else None,
                phone_confirmed_at=now if phone else None)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(username: str, password: str, client_address: str | None = None,
                 trusted_user_ids: Collection[int] = ()) -> User:
    """The user with these credentials, if active; one vague error otherwise. Failed attempts are
    limited per account and per client address (429 `rate_limited`), checked before any hashing,
    and lock the name after LOCKOUT_FAILURES in a row, whether an account has it or not (429
    `account_locked`: actions/lockout.py). An inactive account (deactivated, suspended) is told
    only after its right password: before, it is refused as any wrong password is.
    A browser where the account's owner logged in before (`trusted_user_ids`) is spared the
    account's limit and lock, which a guesser elsewhere could keep up: only its address counts."""
    attempts = [count_login_attempt(None, client_address)]
    # Text no account can have (a NUL, an unpaired surrogate) would make the query or the hash raise.
    if not is_clean_text(username) or not is_clean_text(password):
        raise Unauthorized("invalid_credentials", "Wrong username or password.")
    user = find_account_by_login(username)
    if user is None or user.id not in trusted_user_ids:
        attempts.append(count_login_attempt(username, None))
        check_not_locked(username)  # per name as typed, known or not: a lock tells nothing
    # An unknown name is hashed too: it takes as long to refuse as a wrong password.
    if user is None or not user.check_password(password):
        if user is None:
            check_password_of_nobody(password)
        note_failed_login(user, username)
        raise Unauthorized("invalid_credentials", "Wrong username or password.")
    check_account_active(user)
    for attempt in attempts:
        attempt.refund()  # only failures count: a user logging in again and again is not guessing
    note_successful_login(username)
    if user.password_needs_rehash():  # PASSWORD_HASH_METHOD changed: the password is at hand now
        user.set_password(password)
    return user


class AccountSuspended(Unauthorized):
    """A login refused during a timed suspension: says until when, and why (the operator's reason)."""

    def __init__(self, user: User) -> None:
        self.until, self.reason = user.suspended_until, user.suspension_reason or ""
        super().__init__("account_suspended", f"This account is suspended until {isoformat(self.until)}: {self.reason}")

    def as_dict(self) -> dict:
        return {**super().as_dict(), "until": isoformat(self.until), "reason": self.reason}


def check_account_active(user: User) -> None:
    """The one rule for an inactive account, asked once its password was found right: deactivated
    (401 `account_deactivated`), suspended (401 `account_suspended`, until when and why), or a
    suspension that is over, which is lifted here (no job: the account opens at the first login after)."""
    if user.active:
        return
    if user.suspended_until is None:
        raise Unauthorized("account_deactivated", "This account is deactivated.")
    if not suspension_is_over(user):
        raise AccountSuspended(user)
    open_account(user)


def account_may_open(user: User) -> bool:
    """Active, or suspended until a time that has passed: what check_account_active lets in, asked
    without refusing (a password reset by code tells nobody why an account is closed)."""
    return user.active or suspension_is_over(user)


def suspension_is_over(user: User) -> bool:
    """A suspended account whose time has passed: it opens at its next login (or password reset)."""
    return not user.active and user.suspended_until is not None and user.suspended_until <= utcnow()


def open_account(user: User) -> None:
    """Active again, no suspension (reactivation, the end of a suspension); its old sessions and tokens stay ended."""
    user.active = True
    user.deactivated_at = user.suspended_until = user.suspension_reason = None
    tell_groups_account_changed_unchecked(user)


def tell_groups_account_changed_unchecked(user: User) -> None:
    """The account was closed (deactivated, suspended) or opened again: the members of each of its groups
    get `member:updated` with its Member's `active` (docs/protocol.md), as for a role change."""
    group_ids = db.session.execute(
        db.select(Membership.conversation_id).join(Conversation)
        .where(Conversation.kind == "group", Membership.user_id == user.id)
        .order_by(Membership.conversation_id)).scalars().all()
    for conversation_id in group_ids:
        queue_event(MemberAccountChanged(conversation_id, user.id))


def find_account_by_login(login: object) -> User | None:
    """The account a login names: its username, its email address or its phone number (E.164,
    or as PHONE_DEFAULT_REGION reads it), any case; None if none. An account still confirming
    its address is found by that address too, unless another one is confirming it as well."""
    if not isinstance(login, str) or not is_clean_text(login) or not login.strip():
        return None
    login = login.strip()
    if "@" in login:
        column, check = User.email, check_email
    else:
        user = db.session.execute(db.select(User).where(User.username == login.lower())).scalar_one_or_none()
        if user is not None or not PHONE_LIKE.fullmatch(login):
            return user
        column, check = User.phone, check_phone
    try:
        address = check(login)
    except InvalidInput:
        return None
    user = db.session.execute(db.select(User).where(column == address)).scalar_one_or_none()
    return user if user is not None else _confirming(address)


def _confirming(address: str) -> User | None:
    """The one unconfirmed account whose code was sent to `address`, if only one waits for it."""
    waiting = db.session.execute(
        db.select(User).join(AccountCode, AccountCode.user_id == User.id)
        .where(AccountCode.purpose == "confirm", AccountCode.address == address, User.confirmed_at.is_(None))
        .limit(2)
    ).scalars().all()
    return waiting[0] if len(waiting) == 1 else None


def count_login_attempt(username: object, client_address: str | None) -> Attempt:
    """Count a login (or token) attempt for its account and its address (either may be None);
    RateLimited past LOGIN_ATTEMPTS_PER_MINUTE for either."""
    keys = [f"login:address:{client_address}"] if client_address else []
    if isinstance(username, str):
        keys.append("login:account:" + hashed(username.strip().lower()))
    return count_attempt(keys, current_app.config["LOGIN_ATTEMPTS_PER_MINUTE"], 60, "Too many failed logins.")


def check_own_password(user: User, password: object, message: str = "The password is wrong.") -> None:
    """A signed-in user gives their password again (to change it, to send a code to a new address, to
    turn two-factor off): Unauthorized `invalid_credentials` if it is wrong. Its failures are limited as
    failed logins are (LOGIN_ATTEMPTS_PER_MINUTE), so whoever holds only a session (a stolen cookie, a
    browser left open) guesses the password no faster than the login page lets anyone: past the limit,
    429 `rate_limited` before any hashing; and LOCKOUT_FAILURES of them in a row lock it (429
    `account_locked`, doubling as the login page's lock: actions.lockout.password_again_key), each logged
    as a `login_failed`. A right password does not count. Both are counted apart from the login page's
    (under password_again_key, not the username), so a guesser there, who needs no session, does not hold
    the owner's session out of these forms, as the owner's trusted browser is spared at the login page."""
    attempt = count_attempt(["login:again:" + password_again_key(user)],
                            current_app.config["LOGIN_ATTEMPTS_PER_MINUTE"], 60, "Too many failed logins.")
    check_password_again_not_locked(user)
    if not isinstance(password, str) or not is_clean_text(password) or not user.check_password(password):
        note_failed_password_again(user)
        raise Unauthorized("invalid_credentials", message)
    attempt.refund()
    note_password_given_again(user)


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once; only its hash is stored
    record: ApiToken


def check_account_confirmed(user: User | TokenHolder | SessionHolder) -> None:
    """An account registered with an email or phone opens only its confirmation until the code is in."""
    if user.confirmed_at is None:
        raise Forbidden("unconfirmed", "Confirm your address first: enter the code we sent you "
                        "(POST /api/accounts/confirm, or log in on the web page).")


def check_password_is_final(user: User | TokenHolder | SessionHolder) -> None:
    """A temporary password (set by an operator) opens only the change-password page."""
    if user.must_change_password:
        raise Forbidden("password_change_required", "Choose a new password on the web page first.")


def check_account_open(user: User | TokenHolder | SessionHolder) -> None:
    """What a socket, a gateway login or a new API token needs besides the credential: a confirmed
    address and a password the user chose (not an operator's temporary one)."""
    check_account_confirmed(user)
    check_password_is_final(user)


@atomic()
def issue_api_token(user: User, name: str = "api", days: int | None = None) -> IssuedToken:
    """A new bearer token (shown once) that expires after `days` (0: never; None, none chosen: API_TOKEN_DAYS)."""
    check_account_open(user)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    if days is None:
        days = current_app.config["API_TOKEN_DAYS"]
    record = ApiToken(user_id=user.id, token_hash=hash_token(token), name=name[:64] or "api",
                      expires_at=utcnow() + timedelta(days=days) if days else None)
    db.session.add(record)
    db.session.flush()
    return IssuedToken(token=token, record=record)


def live_token(token: object) -> LiveToken | None:
    """A token presented (an API request's bearer token, the gateway's login) with its user, if it is
    unexpired, unrevoked and its user active; else None. Its use is noted at most once a minute."""
    if not _well_formed(token):
        return None
    return _as_live_token(db.session.execute(TOKEN_USER_BY_HASH, {"token_hash": hash_token(token)}).one_or_none())


def _well_formed(token: object) -> bool:
    return isinstance(token, str) and token.startswith(TOKEN_PREFIX) and len(token) <= 128 and token.isascii()


@dataclass(frozen=True)
class TokenHolder:
    """A live token and what a socket's connect needs of its user (their id, what check_account_open
    asks, the conversations they may read: the socket's rooms), read as rows: no ORM objects."""

    token_id: int
    user_id: int
    confirmed_at: datetime | None
    must_change_password: bool
    readable_conversation_ids: tuple[int, ...]


_tokens, _users = ApiToken.__table__, User.__table__
# Core, built once: at thousands of connects a second, the ORM's execute path for this one SELECT
# (its compile state, the joined user's loading) cost more than the query itself; and the rooms in
# the same statement, not a second one (issue 15, connects).
TOKEN_HOLDER_BY_HASH = with_readable_conversation_ids(
    select(_tokens.c.id, _tokens.c.revoked_at, _tokens.c.expires_at, _tokens.c.last_used_at, _users.c.id,
           _users.c.active, _users.c.confirmed_at, _users.c.must_change_password)
    .join_from(_tokens, _users, _users.c.id == _tokens.c.user_id)
    .where(_tokens.c.token_hash == bindparam("token_hash")), _users.c.id)


def live_token_holder(token: object) -> TokenHolder | None:
    """live_token's check (unexpired, unrevoked, its user active) for a socket's connect, without
    loading the token and the user as ORM objects, with the conversations the user may read; None
    unless the token is live. One statement on a connection of its own, outside any unit of work:
    nothing is written but the token's last use, at most once a minute, in a unit of its own."""
    if not _well_formed(token):
        return None
    with connection_for_a_read() as connection:
        rows = connection.execute(TOKEN_HOLDER_BY_HASH, {"token_hash": hash_token(token)}).all()
    if not rows:
        return None
    token_id, revoked_at, expires_at, last_used_at, user_id, active, confirmed_at, must_change_password, _ = rows[0]
    if not _is_live(revoked_at, expires_at, active):
        return None
    note_token_used(token_id, last_used_at)
    readable = tuple(row.conversation_id for row in rows if row.conversation_id is not None)
    return TokenHolder(token_id, user_id, confirmed_at, must_change_password, readable)


@dataclass(frozen=True)
class LiveToken:
    """A live token, presented (an API request, the gateway's login) or read again by id (a socket's at
    each event): what its principal needs of it, and its user, the one ORM object (actions take it)."""

    id: int
    expires_at: datetime | None
    user: User

    @property
    def user_id(self) -> int:
        return self.user.id


def _token_with_user(criterion) -> Select:
    """The token's columns as values and its user as an entity, in one query built once: a token's
    socket asks it at every event and an API request at every request, and loading the token as an
    ORM object too (with its user joined into it) cost more than the token's four values (issue 15)."""
    return (select(User, _tokens.c.id, _tokens.c.revoked_at, _tokens.c.expires_at, _tokens.c.last_used_at)
            .join_from(_tokens, User, User.id == _tokens.c.user_id).where(criterion))


TOKEN_USER_BY_HASH = _token_with_user(_tokens.c.token_hash == bindparam("token_hash"))
TOKEN_USER_BY_ID = _token_with_user(_tokens.c.id == bindparam("token_id"))


def live_token_by_id(token_id: int) -> LiveToken | None:
    """The same check, for a token already presented (a socket's, at each event)."""
    return _as_live_token(db.session.execute(TOKEN_USER_BY_ID, {"token_id": token_id}).one_or_none())


def _as_live_token(row) -> LiveToken | None:
    """A _token_with_user row (or None: no such token) as a LiveToken if the token is live (_is_live), its use noted."""
    if row is None:
        return None
    user, token_id, revoked_at, expires_at, last_used_at = row
    if not _is_live(revoked_at, expires_at, user.active):
        return None
    note_token_used(token_id, last_used_at)
    return LiveToken(token_id, expires_at, user)


def live_credential(method: str, credential: object, user_id: int) -> LiveSession | LiveToken | None:
    """What a connection of `user_id` was opened with, with its user, if it still works: the login
    session (`"session"` and its id: a browser's) or the API token (`"token"` and its id); else None."""
    found = live_token_by_id(credential) if method == "token" else live_session_by_id(credential)
    return found if found is not None and found.user_id == user_id else None


def _is_live(revoked_at: datetime | None, expires_at: datetime | None, user_active: bool) -> bool:
    """The one rule of a token that opens: not revoked, not expired, and its user active."""
    return revoked_at is None and not has_expired(expires_at) and user_active


def has_expired(expires_at: datetime | None) -> bool:
    """The expiry part of that rule, for a connection that remembers when its token ends (the gateway's
    pings, which revocations and deactivations need not ask: those close the connection at once)."""
    return expires_at is not None and expires_at <= utcnow()


def user_for_token(token: object) -> User | None:
    """The active user a live token belongs to, or None."""
    found = live_token(token)
    return found.user if found is not None else None


@atomic()
def revoke_api_token(token: str) -> bool:
    """Revoke a token; sockets opened with it are cut at once."""
    record = db.session.execute(
        db.select(ApiToken).where(ApiToken.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if record is None or record.revoked_at is not None:
        return False
    record.revoked_at = utcnow()
    queue_event(TokenRevoked(record.user_id, record.id))
    forget_subscriptions(api_token_id=record.id)  # nor are the browsers it subscribed pushed any more
    return True


def search_users(query: str, limit: int = 20, exclude_user_id: int | None = None) -> list[User]:
    """Findable users (User.findable: active and confirmed) whose username or display name contains `query`."""
    query = check_string(query, "q", max_length=64, required=False)
    statement = db.select(User).where(User.findable).order_by(User.username).limit(limit)
    if query:
        # '_' is common in usernames: it must match itself, not any character.
        pattern = contains_pattern(query.lower())
        statement = statement.where(or_(User.username.like(pattern, escape=LIKE_ESCAPE),
                                        User.display_name.ilike(pattern, escape=LIKE_ESCAPE)))
    if exclude_user_id is not None:
        statement = statement.where(User.id != exclude_user_id)
    return list(db.session.execute(statement).scalars())


@atomic()
def record_seen(user_ids: int | Collection[int]) -> None:
    """These users are last seen now (one UPDATE for all of them)."""
    user_ids = [user_ids] if isinstance(user_ids, int) else sorted(user_ids)
    if user_ids:
        db.session.execute(db.update(User).where(User.id.in_(user_ids)).values(last_seen_at=utcnow()))
