"""Lockout after repeated failed logins, per login name, which decays and which operators can lift.

After LOCKOUT_FAILURES wrong passwords in a row for one login name (as typed and normalized: a
username, an email address, a phone number) the name is locked for LOCKOUT_SECONDS, and each
further lock lasts twice as long as the one before, up to LOCKOUT_MAX_SECONDS. While it is
locked a login with that name is refused with 429 `account_locked` before any password is looked
at, and the refused attempts are not counted: a guesser cannot make the lock longer, only wait for
its end and start ten failures again. A successful login starts the count of failures again; a
quiet day (no failure) forgets the doubling, and the row.

The count is kept per name whether or not an account has it: an unknown name locks exactly as a
known one does, so neither the lock nor its absence tells that a name exists. (An account's
username, email and phone are three names, each with its own count: counting them together would
tell, to whoever fails with two of them, that they are one account's.)

What keeps an attacker from locking the owner out for ever (as GitHub and Slack do it, and
OWASP's "device cookies"): a browser in which the account's owner has logged in before carries a
signed cookie that says so (blueprints/auth/trusted_device.py), and the lock does not apply to
it; its failures are still limited per address (LOGIN_ATTEMPTS_PER_MINUTE). An operator can
lift the locks of an account's names (audited), and a password reset by code (which proves the
owner) ends them too.

A failed login's bookkeeping is committed in a transaction of its own: the request that carries
it is refused, and its unit rolls back.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from actions.access import access_operator
from actions.audit import record
from actions.errors import InvalidInput, NotFound
from actions.rate_limits import RateLimited, hashed
from actions.security_log import record_refusal, record_security_event
from actions.validation import PHONE_LIKE, check_email, check_phone, is_clean_text
from events import atomic
from extensions import db
from models import LoginLockout, User
from models.time import isoformat, utcnow

log = logging.getLogger(__name__)

FORGOTTEN_AFTER = timedelta(days=1)  # a day without a failure: the doubling starts again from LOCKOUT_SECONDS


class AccountLocked(RateLimited):
    """429 `account_locked`, with the seconds until the lock ends (Retry-After, `retry_after`)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("Too many failed logins: this account is locked for now.", retry_after)
        self.code = "account_locked"


@dataclass(frozen=True)
class LockoutState:
    """What operators see of an account's lockout (the most of its names' counts and locks)."""

    failures: int
    level: int
    locked_until: datetime | None

    def locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())

    def describe(self) -> str:
        if self.locked():
            return f"locked until {isoformat(self.locked_until)} (lock {self.level})"
        return f"not locked ({self.failures} failed logins since the last success)"


def login_name_key(login: object) -> str | None:
    """The lockout's key for a login name as typed, known or not: normalized as an account's names
    are stored (an email address as check_email writes it, a phone number in E.164, anything else
    in lower case), then hashed; None for what no login can name."""
    if not isinstance(login, str) or not is_clean_text(login) or not login.strip():
        return None
    name = login.strip()
    normalize = check_email if "@" in name else check_phone if PHONE_LIKE.fullmatch(name) else None
    if normalize is not None:
        try:
            name = normalize(name) or name
        except InvalidInput:
            pass  # no such address: the name as typed
    return hashed(name.lower())


def password_again_key(user: User) -> str:
    """The lockout's key for a signed-in user giving their password again (actions.accounts.check_own_password:
    a token from the settings page, a password change, two-factor turned off): a name no login has (login
    names hold no control character), counted apart from the account's names, so a guesser elsewhere who
    locks the login page does not lock the owner's own session out of them, and whoever holds only a
    session is locked after LOCKOUT_FAILURES wrong passwords as a guesser at the login page is."""
    return hashed(f"\x00password-again:{user.id}")


def check_not_locked(login: object) -> None:
    """AccountLocked if the login name `login` is locked (a browser trusted for its account is not
    asked: actions.accounts.authenticate)."""
    _check_key(login_name_key(login))


def check_password_again_not_locked(user: User) -> None:
    """AccountLocked while the user's wrong passwords given again (password_again_key) keep it locked."""
    _check_key(password_again_key(user))


def _check_key(key: str | None) -> None:
    if key is None or current_app.config["LOCKOUT_FAILURES"] <= 0:
        return
    lockout = db.session.get(LoginLockout, key)
    now = utcnow()
    if lockout is not None and lockout.locked_until is not None and lockout.locked_until > now:
        raise AccountLocked((lockout.locked_until - now).total_seconds())


def note_failed_login(user: User | None, typed_name: object) -> None:
    """A wrong password, or a name no account has: counted against the name as typed, which may
    lock it, and logged; committed at once, in a transaction of its own."""
    name = typed_name if isinstance(typed_name, str) else None
    record_refusal("login_failed", user=user, username=name, detail="wrong password" if user else "unknown account")
    _note_failure(login_name_key(typed_name), user, name)


def note_failed_password_again(user: User) -> None:
    """A signed-in user's wrong password given again: logged, and counted under password_again_key."""
    record_refusal("login_failed", user=user, username=user.username, detail="wrong password given again, signed in")
    _note_failure(password_again_key(user), user, user.username)


def note_password_given_again(user: User) -> None:
    """The right password given again: its failures in a row start again from zero (the doubling stays)."""
    lockout = db.session.get(LoginLockout, password_again_key(user))
    if lockout is not None and lockout.failures:
        lockout.failures = 0


def _note_failure(key: str | None, user: User | None, name: str | None) -> None:
    if key is None or current_app.config["LOCKOUT_FAILURES"] <= 0:
        return
    try:
        locked_for = _count_failure(key)
    except Exception:  # noqa: BLE001  (the refusal stands; the per-minute limit still holds)
        log.warning("could not count a failed login (user %s)", user.id if user else None, exc_info=True)
        return
    if locked_for:
        record_refusal("account_locked", user=user, username=name, detail=f"for {locked_for} s after "
                       f"{current_app.config['LOCKOUT_FAILURES']} failed logins")


def _count_failure(key: str) -> int:
    """One more failure, in its own transaction; the lock's length in seconds if it locked now."""
    config = current_app.config
    now = utcnow()
    table = LoginLockout.__table__
    with db.engine.begin() as connection:
        # Names a day quiet are forgotten (their doubling is): unknown names do not pile up.
        connection.execute(db.delete(table).where(table.c.last_failure_at < now - FORGOTTEN_AFTER,
                                                  (table.c.locked_until.is_(None)) | (table.c.locked_until < now)))
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        connection.execute(insert(table).values(name_key=key, failures=0, level=0)
                           .on_conflict_do_nothing(index_elements=["name_key"]))
        row = connection.execute(db.select(table).where(table.c.name_key == key).with_for_update()).one()
        failures, level = row.failures, row.level
        if row.locked_until is not None and row.locked_until > now:
            return 0  # a concurrent attempt already locked it: nothing is extended
        if row.last_failure_at is None or now - row.last_failure_at > FORGOTTEN_AFTER:
            failures, level = 0, 0
        failures += 1
        locked_until, locked_for = row.locked_until, 0
        if failures >= config["LOCKOUT_FAILURES"]:
            level += 1
            locked_for = min(config["LOCKOUT_SECONDS"] * 2 ** min(level - 1, 30), config["LOCKOUT_MAX_SECONDS"])
            locked_until, failures = now + timedelta(seconds=locked_for), 0
        connection.execute(db.update(table).where(table.c.name_key == key).values(
            failures=failures, level=level, locked_until=locked_until, last_failure_at=now))
    return locked_for


def note_successful_login(login: object) -> None:
    """The right password for the name `login`: its failures in a row start again from zero (the doubling stays)."""
    key = login_name_key(login)
    lockout = db.session.get(LoginLockout, key) if key is not None else None
    if lockout is not None and lockout.failures:
        lockout.failures = 0


def _lockouts_of(user: User) -> list[LoginLockout]:
    """The counts of the account's names: its username, its email address, its phone number; and of its
    password given again while signed in (password_again_key)."""
    keys = {login_name_key(name) for name in (user.username, user.email, user.phone) if name}
    keys.add(password_again_key(user))
    keys.discard(None)
    return list(db.session.execute(db.select(LoginLockout).where(LoginLockout.name_key.in_(keys))).scalars())


def lockout_state(user: User) -> LockoutState | None:
    """The account's failures and lock (the most of its names'), None if none of them failed lately."""
    lockouts = _lockouts_of(user)
    if not lockouts:
        return None
    locks = [lockout.locked_until for lockout in lockouts if lockout.locked_until is not None]
    return LockoutState(max(lockout.failures for lockout in lockouts), max(lockout.level for lockout in lockouts),
                        max(locks) if locks else None)


@atomic()
def lift_lockout(operator: User, user_id: int) -> User:
    """An operator unlocks an account (each of its names): no lock, no failures, no doubling; audited and logged."""
    operator = access_operator(operator)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user_not_found", "No such user.")
    before = _snapshot(lockout_state(user))
    _clear(user)
    record(operator, "user.unlock", "user", user.id, before, _snapshot(None))
    record_security_event("lockout_lifted", user=user, detail=f"by operator {operator.username}")
    return user


@atomic()
def end_lockout(user: User) -> None:
    """The owner proved who they are another way (a password reset by code): no lock, no failures."""
    if _clear(user):
        record_security_event("lockout_lifted", user=user, detail="password reset")


def _clear(user: User) -> bool:
    """Whether any of the account's names had failures or a lock (now gone)."""
    lockouts = [lockout for lockout in _lockouts_of(user) if lockout.locked_until is not None or lockout.failures
                or lockout.level]
    for lockout in lockouts:
        lockout.failures, lockout.level, lockout.locked_until = 0, 0, None
    return bool(lockouts)


def _snapshot(state: LockoutState | None) -> dict:
    if state is None:
        return {"failures": 0, "level": 0, "locked_until": None}
    return {"failures": state.failures, "level": state.level, "locked_until": state.locked_until}
