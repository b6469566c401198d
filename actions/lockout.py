"""Per-account lockout after repeated failed logins, which decays and which operators can lift.

After LOCKOUT_FAILURES wrong passwords in a row an account is locked for LOCKOUT_SECONDS, and
each further lock lasts twice as long as the one before, up to LOCKOUT_MAX_SECONDS. While it is
locked a login is refused with 429 `account_locked` before any password is looked at, and the
refused attempts are not counted: a guesser cannot make the lock longer, only wait for its end
and start ten failures again. A successful login starts the count of failures again; a quiet
day (no failure) forgets the doubling too.

What keeps an attacker from locking the owner out for ever (as GitHub and Slack do it, and
OWASP's "device cookies"): a browser in which the account's owner has logged in before carries a
signed cookie that says so (blueprints/auth/trusted_device.py), and the lock does not apply to
it; its failures are still limited per address (LOGIN_ATTEMPTS_PER_MINUTE). An operator can
lift a lock (audited), and a password reset by code (which proves the owner) ends it too.

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
from actions.errors import NotFound
from actions.rate_limits import RateLimited
from actions.security_log import record_refusal, record_security_event
from events import atomic
from extensions import db
from models import AccountLockout, User
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
    """What operators see of an account's lockout."""

    failures: int
    level: int
    locked_until: datetime | None

    def locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())

    def describe(self) -> str:
        if self.locked():
            return f"locked until {isoformat(self.locked_until)} (lock {self.level})"
        return f"not locked ({self.failures} failed logins since the last success)"


def check_not_locked(user: User | None, trusted: bool = False) -> None:
    """AccountLocked if `user`'s account is locked, unless this browser is trusted for it."""
    if user is None or trusted or current_app.config["LOCKOUT_FAILURES"] <= 0:
        return
    lockout = db.session.get(AccountLockout, user.id)
    now = utcnow()
    if lockout is not None and lockout.locked_until is not None and lockout.locked_until > now:
        raise AccountLocked((lockout.locked_until - now).total_seconds())


def note_failed_login(user: User | None, typed_name: object) -> None:
    """A wrong password (or an unknown name): counted against the account, which may lock it,
    and logged; committed at once, in a transaction of its own."""
    name = typed_name if isinstance(typed_name, str) else None
    if user is None:
        record_refusal("login_failed", username=name, detail="unknown account")
        return
    record_refusal("login_failed", user=user, username=name, detail="wrong password")
    if current_app.config["LOCKOUT_FAILURES"] <= 0:
        return
    try:
        locked_for = _count_failure(user.id)
    except Exception:  # noqa: BLE001  (the refusal stands; the per-minute limit still holds)
        log.warning("could not count a failed login of user %s", user.id, exc_info=True)
        return
    if locked_for:
        record_refusal("account_locked", user=user, detail=f"for {locked_for} s after "
                       f"{current_app.config['LOCKOUT_FAILURES']} failed logins")


def _count_failure(user_id: int) -> int:
    """One more failure, in its own transaction; the lock's length in seconds if it locked now."""
    config = current_app.config
    now = utcnow()
    table = AccountLockout.__table__
    with db.engine.begin() as connection:
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        connection.execute(insert(table).values(user_id=user_id, failures=0, level=0)
                           .on_conflict_do_nothing(index_elements=["user_id"]))
        row = connection.execute(db.select(table).where(table.c.user_id == user_id).with_for_update()).one()
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
        connection.execute(db.update(table).where(table.c.user_id == user_id).values(
            failures=failures, level=level, locked_until=locked_until, last_failure_at=now))
    return locked_for


def note_successful_login(user: User) -> None:
    """The right password: the failures in a row start again from zero (the doubling stays)."""
    lockout = db.session.get(AccountLockout, user.id)
    if lockout is not None and lockout.failures:
        lockout.failures = 0


def lockout_state(user: User) -> LockoutState | None:
    """The account's failures and lock, None if it never failed a login."""
    lockout = db.session.get(AccountLockout, user.id)
    if lockout is None:
        return None
    return LockoutState(lockout.failures, lockout.level, lockout.locked_until)


@atomic()
def lift_lockout(operator: User, user_id: int) -> User:
    """An operator unlocks an account: no lock, no failures, no doubling; audited and logged."""
    operator = access_operator(operator)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user_not_found", "No such user.")
    lockout = db.session.get(AccountLockout, user.id)
    before = _snapshot(lockout)
    if lockout is not None:
        lockout.failures, lockout.level, lockout.locked_until = 0, 0, None
    record(operator, "user.unlock", "user", user.id, before, _snapshot(lockout))
    record_security_event("lockout_lifted", user=user, detail=f"by operator {operator.username}")
    return user


@atomic()
def end_lockout(user: User) -> None:
    """The owner proved who they are another way (a password reset by code): no lock, no failures."""
    lockout = db.session.get(AccountLockout, user.id)
    if lockout is not None and (lockout.locked_until is not None or lockout.failures):
        lockout.failures, lockout.level, lockout.locked_until = 0, 0, None
        record_security_event("lockout_lifted", user=user, detail="password reset")


def _snapshot(lockout: AccountLockout | None) -> dict:
    if lockout is None:
        return {"failures": 0, "level": 0, "locked_until": None}
    return {"failures": lockout.failures, "level": lockout.level, "locked_until": lockout.locked_until}
