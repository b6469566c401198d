"""Two-factor authentication: TOTP codes (RFC 6238, any authenticator app) and 10 single-use
recovery codes, optional for everyone, required of operators by TWO_FACTOR_REQUIRED_FOR_OPERATORS.

Enrolment: `start_enrolment` makes a secret (shown as a QR code and as text), `confirm_enrolment`
turns it on once the password and a code from the app prove who asks and that the secret was read, and
gives the recovery codes (shown once, stored hashed). Logging in asks for a code after the password
(`check_second_factor`): a TOTP code of the current 30-second step or the one before or after, never
one already used (the last accepted step is kept), or an unused recovery code. Wrong codes count against the account
(limit_code_attempt). Turning it off takes the password and a code.

The secret is stored sealed (actions/sealed_secrets.py); one stored plain (before migration 0028) or with an
older key is sealed anew with the current key by the first code accepted with it, in the same UPDATE. A secret no
configured key opens refuses codes from the app with 503 `two_factor_unavailable` (logged as an error for the
operators); recovery codes still work.
"""
from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pyotp
from flask import current_app

from actions.access import access_operator, is_operator
from actions.accounts import check_own_password
from actions.audit import record
from actions.errors import ActionError, Conflict, Forbidden, Unauthorized
from actions.rate_limits import limit_code_attempt
from actions.sealed_secrets import SecretUnreadable, seal, unseal
from actions.security_log import record_refusal
from actions.token_hash import hash_token
from actions.user_admin import get_account
from events import atomic
from extensions import db
from models import RecoveryCode, TwoFactor, User
from models.time import utcnow

log = logging.getLogger(__name__)

ISSUER = "Switchboard"
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read from paper
RECOVERY_GROUPS = 3  # xxxx-xxxx-xxxx: 12 characters, about 59 bits
RECOVERY_LENGTH = 4 * RECOVERY_GROUPS
STEP_SECONDS = 30
MAX_CODE_LENGTH = 40  # what is read of a typed code; anything longer is wrong
VALID_WINDOW = 1  # steps either side of now: a clock a little off, a code typed near the end of its step


class CodeTaken(Unauthorized):
    """A right code that a concurrent request used first."""


class CodesUnavailable(ActionError):
    """The account's secret cannot be unsealed (the server's two-factor key is wrong): no code from the app can be
    checked, whoever types it. A fault of the server's settings, not of the code: not counted against the account."""

    status = 503


@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32, for typing into an app
    uri: str  # otpauth://, for its QR code


def find_two_factor(user: User) -> TwoFactor | None:
    """The user's enabled two-factor setting, or None."""
    found = db.session.get(TwoFactor, user.id)
    return found if found is not None and found.enabled_at is not None else None


def has_two_factor(user: User) -> bool:
    return find_two_factor(user) is not None


def needs_enrolment(user: User) -> bool:
    """An operator without two-factor, when TWO_FACTOR_REQUIRED_FOR_OPERATORS is on: the back
    office stays closed to them until they enrol."""
    return (current_app.config["TWO_FACTOR_REQUIRED_FOR_OPERATORS"] and is_operator(user)
            and not has_two_factor(user))


def acts_as_operator(user: User) -> bool:
    """An operator whose powers are open: not waiting to enrol (needs_enrolment). What an operator may
    do outside the back office (read any file) asks this, as the back office's gate asks needs_enrolment."""
    return is_operator(user) and not needs_enrolment(user)


def recovery_codes_left(user: User) -> int:
    return db.session.execute(db.select(db.func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).scalar_one()


@atomic()
def start_enrolment(user: User) -> Enrolment:
    """A new secret waiting for its first code; a pending one is replaced, an enabled one kept (409)."""
    existing = db.session.get(TwoFactor, user.id)
    if existing is not None and existing.enabled_at is not None:
        raise Conflict("two_factor_enabled", "Two-factor authentication is already on.")
    secret = pyotp.random_base32()
    if existing is None:
        db.session.add(TwoFactor(user_id=user.id, secret=seal(secret)))
    else:
        existing.secret, existing.created_at, existing.last_used_step = seal(secret), utcnow(), None
    db.session.flush()
    return Enrolment(secret, provisioning_uri(user, secret))


def pending_enrolment(user: User) -> Enrolment | None:
    """The secret waiting for its first code, if any (the setup page shows it again); none if it cannot be
    unsealed (the key changed since): the page then starts anew."""
    existing = db.session.get(TwoFactor, user.id)
    if existing is None or existing.enabled_at is not None:
        return None
    try:
        secret = unseal(existing.secret).secret
    except SecretUnreadable:
        return None
    return Enrolment(secret, provisioning_uri(user, secret))


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


@atomic()
def confirm_enrolment(user: User, password: object, code: object) -> list[str]:
    """The password and the first code from the app turn two-factor on; answers the recovery codes (shown
    once). The password as for turning it off: someone holding only a session (a stolen cookie, a browser
    left open) must not put their own authenticator on the account, which would shut its owner out of the
    next login and of a password reset alike."""
    pending = db.session.get(TwoFactor, user.id)
    if pending is None or pending.enabled_at is not None:
        raise Conflict("no_enrolment", "Start the set-up again: no two-factor secret is waiting.")
    check_own_password(user, password)
    _check_totp(user, pending, code)
    pending.enabled_at = utcnow()
    return _new_recovery_codes(user)


@atomic()
def check_second_factor(user: User, code: object) -> str:
    """A login's second step: "totp" or "recovery", whichever the code was; 401 otherwise."""
    two_factor = find_two_factor(user)
    if two_factor is None:
        return "none"
    kind = "recovery" if isinstance(code, str) and len(_normalized(code)) == RECOVERY_LENGTH else "totp"
    with _code_attempt(user):
        try:
            if not isinstance(code, str) or len(code) > MAX_CODE_LENGTH or not code.isascii():
                raise Unauthorized("invalid_code", "That code is not right.")
            if kind == "recovery":
                _use_recovery_code(user, code)
            else:
                _check_totp(user, two_factor, code)
        except CodeTaken:
            raise  # lost a race after writing: not logged (its own transaction would wait for this one)
        except Unauthorized as error:  # the request rolls back: the refusal is logged on its own
            record_refusal("login_failed", user=user, detail=f"two-factor: {error.code}")
            raise
    return kind


@atomic()
def require_second_factor(user: User, code: object) -> None:
    """A one-step login (POST /api/tokens) of an account with two-factor: 401 `two_factor_required`
    without a code, `invalid_code` or `code_used` with a wrong one; nothing for other accounts."""
    if not has_two_factor(user):
        return
    if code is None or code == "":
        raise Unauthorized("two_factor_required", "This account has two-factor authentication: send the code "
                                                  "from the authenticator app (or a recovery code) as totp.")
    check_second_factor(user, code)


@atomic()
def regenerate_recovery_codes(user: User, code: object) -> list[str]:
    """New recovery codes (the old ones stop working), after a code from the app."""
    two_factor = _enabled(user)
    with _code_attempt(user):  # the login's count: its codes and these are one guess budget
        _check_totp(user, two_factor, code)
    return _new_recovery_codes(user)


@atomic()
def disable_two_factor(user: User, password: object, code: object) -> None:
    """Turn two-factor off: the password and a code (from the app, or a recovery code)."""
    _enabled(user)
    check_own_password(user, password)
    check_second_factor(user, code)
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(db.delete(TwoFactor).where(TwoFactor.user_id == user.id))


@atomic()
def reset_two_factor(operator: User, user_id: int) -> User:
    """An operator turns off another account's two-factor (its owner lost the phone and the
    recovery codes); audited. Never one's own: that takes the password and a code."""
    access_operator(operator)
    user = get_account(user_id)
    if user.id == operator.id:
        raise Forbidden("own_account", "Turn your own two-factor authentication off in your settings.")
    _enabled(user)
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(db.delete(TwoFactor).where(TwoFactor.user_id == user.id))
    record(operator, "user.two_factor_reset", "user", user.id, {"two_factor": True}, {"two_factor": False})
    return user


@dataclass(frozen=True)
class Resealing:
    written: int  # rows whose secret was written anew
    kept: int  # rows already as asked
    unreadable: list[int]  # the accounts whose secret no configured key opens (left as they are)


@atomic()
def reseal_secrets(*, unseal_them: bool = False) -> Resealing:
    """Every stored secret sealed with the current key (`flask seal-two-factor-secrets`): plain ones (rows from
    before migration 0028) and ones sealed with an older key, so that the older key may then be dropped; or,
    `unseal_them`, written plain again (only to go below migration 0028, whose code reads plain secrets)."""
    written, kept, unreadable = 0, 0, []
    rows = db.session.execute(db.select(TwoFactor.user_id, TwoFactor.secret).order_by(TwoFactor.user_id)).all()
    for user_id, secret in rows:
        try:
            stored = unseal(secret)
        except SecretUnreadable:
            unreadable.append(user_id)
            continue
        wanted = stored.secret if unseal_them else (seal(stored.secret) if stored.stale else secret)
        if wanted == secret:
            kept += 1
            continue
        # Only a row that still holds what was read: the service runs meanwhile, and a row its owner changed
        # since (turned off, or started again with a new secret; a code accepted sealing it) is left as it is.
        written += db.session.execute(
            db.update(TwoFactor).where(TwoFactor.user_id == user_id, TwoFactor.secret == secret)
            .values(secret=wanted).execution_options(synchronize_session=False)
        ).rowcount
    return Resealing(written, kept, unreadable)


def _enabled(user: User) -> TwoFactor:
    two_factor = find_two_factor(user)
    if two_factor is None:
        raise Conflict("two_factor_disabled", "Two-factor authentication is off.")
    return two_factor


@contextmanager
def _code_attempt(user: User) -> Iterator[None]:
    """A code tried for the account (limit_code_attempt, the one count of every two-factor code it is asked for):
    counted only if wrong. A right code gives its place back, and so does one that could not be checked
    (CodesUnavailable: the server's key, logged as an error by _check_totp, not the code's fault)."""
    attempt = limit_code_attempt(f"two-factor:{user.id}")
    try:
        yield
    except CodesUnavailable:
        attempt.refund()
        raise
    attempt.refund()


def _normalized(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _check_totp(user: User, two_factor: TwoFactor, code: object) -> None:
    """A code of the current step or a neighbour, newer than the last one accepted; that step is
    then taken with one UPDATE, so that two requests with the same code cannot both pass (and a stale
    secret sealed anew: written only once a code is right, so that a wrong one is refused before
    anything is written, as _use_recovery_code says why)."""
    wrong = Unauthorized("invalid_code", "That code is not right. Type the 6 digits your app shows now.")
    if not isinstance(code, str):
        raise wrong
    code = "".join(code.split())
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        raise wrong
    try:
        stored = unseal(two_factor.secret)
    except SecretUnreadable as error:
        log.error("The two-factor secret of user %s cannot be unsealed (%s): codes from the app are refused until "
                  "TWO_FACTOR_KEY or TWO_FACTOR_OLD_KEYS holds the key that sealed it, or SECRET_KEY is the one it was "
                  "derived from (docs/configuration.md)", user.id, error)
        raise CodesUnavailable("two_factor_unavailable", "Codes from the authenticator app cannot be checked right "
                               "now (the server's two-factor key is not right): use a recovery code.") from None
    totp = pyotp.TOTP(stored.secret)
    now_step = totp.timecode(time.time())
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        step = now_step + offset
        if secrets.compare_digest(totp.generate_otp(step), code):
            if two_factor.last_used_step is not None and two_factor.last_used_step >= step:
                raise Unauthorized("code_used", "That code was used already. Wait for the next one.")
            taken = db.session.execute(
                db.update(TwoFactor).where(TwoFactor.user_id == user.id, db.or_(
                    TwoFactor.last_used_step.is_(None), TwoFactor.last_used_step < step))
                .values(last_used_step=step, **({"secret": seal(stored.secret)} if stored.stale else {}))
                .execution_options(synchronize_session=False)
            ).rowcount
            if not taken:  # another request took it a moment ago
                raise CodeTaken("code_used", "That code was used already. Wait for the next one.")
            db.session.refresh(two_factor)
            return
    raise wrong


def _hash(code: str) -> str:
    return hash_token("recovery:" + _normalized(code))


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["-".join("".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(4)) for _ in range(RECOVERY_GROUPS))
             for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    db.session.flush()
    return codes


RECOVERY_CODE_USED = "That recovery code was used already: each one works once."


def _use_recovery_code(user: User, code: str) -> None:
    # Read first, so that a wrong code is refused before anything is written (the refusal is then
    # logged in a transaction of its own, which a held write lock would keep waiting on SQLite).
    found = db.session.execute(db.select(RecoveryCode.id, RecoveryCode.used_at).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(code))).one_or_none()
    if found is None:
        raise Unauthorized("invalid_code", "That recovery code is not right.")
    if found.used_at is not None:  # the password was right already: saying so tells nobody else anything
        raise Unauthorized("code_used", RECOVERY_CODE_USED)
    used = db.session.execute(
        db.update(RecoveryCode).where(RecoveryCode.id == found.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
    if not used:  # another request took it a moment ago
        raise CodeTaken("code_used", RECOVERY_CODE_USED)
