"""Six-digit codes sent to an email address or a phone: confirming it, resetting a password.

- Only an HMAC-SHA256 of each code is stored, keyed with a key derived from SECRET_KEY and bound
  to its row: a copy of the database does not give the codes away (a million candidates would
  otherwise be tried in a blink).
- The code is made by the job that sends it (`send_account_code`), so it never waits in the job
  queue's storage, and its CODE_TTL_SECONDS (10 minutes) start when it leaves.
- A code can be tried CODE_MAX_ATTEMPTS times (5). Each attempt is counted before the comparison
  and for good, whatever becomes of the request (a refusal rolls everything else back): committed
  at once in a transaction of its own, one conditional UPDATE, so concurrent guesses cannot pass
  the bound. On SQLite, once the request has written (it then holds the database's only write
  lock, and a second connection would wait for it in vain), the attempt is counted in the unit
  instead and counted again on its own after a rollback (`_count_after_rollback`).
- A reset code stops working once the password is changed another way (withdraw_code), and one
  not sent yet is not sent (a withdrawn row keeps an expiry and no hash: send_account_code skips it).
- Codes sent to an address stop working once the account's address on that channel becomes another
  (tell_replaced_address): whoever still reads the old mailbox must not reset the password.
- A new code can be asked for CODE_RESEND_SECONDS (60 s) after the first, then twice as long after
  each (2, 4, 8 minutes…), never longer than a code works (CODE_TTL_SECONDS, 10 minutes), back to
  60 s once an hour has passed since the wait ended; each new code replaces the last and its attempts.
  Anyone may ask for an account's reset code, so the wait is the one bound on reset mails to an
  address (at most one per code lifetime once it has grown): the code such a request sends goes to
  the owner and works until a new one may be asked for, so nobody can keep the owner from a code.
- A confirmation code is not sent to an address another account already has: that account's owner
  gets a notice instead, and the person registering sees exactly what they would have seen.
- A confirmed address replaced by another is told so (tell_replaced_address).
- Messages are written in the recipient's language: the one their account chose, else the one the
  request that asked for the code was answered in (i18n.select_locale).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale, gettext, lazy_gettext, ngettext
from sqlalchemy import event, or_
from sqlalchemy.orm import Session

from actions.errors import InvalidInput
from actions.rate_limits import RateLimited, limit_code_resend
from events import atomic
from extensions import db
from i18n import DEFAULT_LANGUAGE, LANGUAGES, request_language, user_language
from jobs import enqueue_on_commit, job
from models import User
from models.account_code import AccountCode
from models.time import utcnow
from notify import OutgoingMessage, send

log = logging.getLogger(__name__)

RESEND_RESTART_SECONDS = 3600  # this long past the wait without a new code, the doubling starts over
ATTEMPTS_TO_KEEP = "switchboard.code_attempts"  # in session.info: attempts to count again after a rollback
SUBJECTS = {"confirm": lazy_gettext("Your Switchboard confirmation code"),
            "reset": lazy_gettext("Your Switchboard password reset code"),
            "notice": lazy_gettext("Someone tried to register with your address"),
            "changed": lazy_gettext("Your Switchboard address was changed")}


def find_code(user: User | None, purpose: str) -> AccountCode | None:
    if user is None:
        return None
    return db.session.execute(
        db.select(AccountCode).where(AccountCode.user_id == user.id, AccountCode.purpose == purpose)
    ).scalar_one_or_none()


@atomic()
def ask_for_code(user: User, purpose: str, channel: str, address: str, language: str | None = None) -> AccountCode:
    """Have a new code sent for `purpose` to `address` once this unit commits; RateLimited if the
    last one was sent too recently (Retry-After: when the next may be asked for). `language`: the
    one the request that asked was answered in, when this runs in a job (else the request's own)."""
    now = utcnow()
    row = find_code(user, purpose)
    if row is not None and row.next_send_at > now:  # to another address as well (a typo fixed): one code per wait
        raise RateLimited("A code was sent a moment ago.", (row.next_send_at - now).total_seconds())
    # Confirmation codes and notices are counted per address: many sign-ups can aim at one address.
    # A reset code goes only to its account's own address, so its row's wait bounds them: an hourly
    # count that anyone asking could use up would keep the owner from a code for up to an hour.
    if purpose == "confirm":
        limit_code_resend(address)
    if row is not None and row.next_send_at <= now - timedelta(seconds=RESEND_RESTART_SECONDS):
        row.sends = 0  # an hour past the wait without a new code: the doubling starts over
    if row is None:
        row = AccountCode(user_id=user.id, purpose=purpose, sends=0, attempts=0, next_send_at=now)
        db.session.add(row)
    row.channel, row.address = channel, address
    row.sends += 1
    row.code_hash, row.expires_at, row.attempts = None, None, 0
    first = current_app.config["CODE_RESEND_SECONDS"]
    wait = min(first * 2 ** min(row.sends - 1, 30), max(first, current_app.config["CODE_TTL_SECONDS"]))
    row.next_send_at = now + timedelta(seconds=wait)
    db.session.flush()
    enqueue_on_commit(send_account_code, row.id, row.sends, user_language(user) or language or request_language())
    return row


@job(retries=3)
def send_account_code(code_id: int, sends: int, language: str | None = None) -> None:
    """Make the code, store its HMAC and send it (or, for an address another account has, send
    that account's owner a notice instead) in `language` (a code of i18n.LANGUAGES). A request
    replaced by a newer one, or withdrawn meanwhile (withdraw_code), sends nothing."""
    row = db.session.get(AccountCode, code_id)
    if row is None or row.sends != sends or (row.code_hash is None and row.expires_at is not None):
        return
    owner = _other_owner(row) if row.purpose == "confirm" else None
    if owner is not None:
        with force_locale(user_language(owner) or language or DEFAULT_LANGUAGE):
            send(OutgoingMessage(row.channel, row.address, str(SUBJECTS["notice"]), _notice_text(owner), "notice"))
        return
    code = f"{secrets.randbelow(1_000_000):06d}"
    row.code_hash = code_hash(row, code)
    row.expires_at = utcnow() + timedelta(seconds=current_app.config["CODE_TTL_SECONDS"])
    db.session.flush()
    with force_locale(language if language in LANGUAGES else DEFAULT_LANGUAGE):
        send(OutgoingMessage(row.channel, row.address, str(SUBJECTS[row.purpose]), _code_text(row.purpose, code),
                             row.purpose))


def withdraw_code(user: User, purpose: str) -> None:
    """A code sent for `purpose` stops working (a reset code once the password was changed another
    way), and one asked for but not sent yet is not sent. The row stays, and with it the wait before
    the next code."""
    _withdraw(find_code(user, purpose))


def _withdraw(row: AccountCode | None) -> None:
    if row is not None:  # no hash but an expiry: withdrawn (a row waiting for its job has neither)
        row.code_hash, row.expires_at = None, utcnow()


def tell_replaced_address(user: User, channel: str, new_address: str | None) -> None:
    """Called before the account's `channel` ("email" or "phone") becomes `new_address` (by its owner's
    code, or an operator): codes sent on that channel to another address stop working (a reset code
    the old mailbox got, a confirmation waiting for an address the operator did not keep); if that
    replaces a confirmed address by another, the replaced one is told, once this unit commits, where
    codes and password resets go now (masked), so that an owner who did not make the change can act."""
    old, confirmed_at = ((user.email, user.email_confirmed_at) if channel == "email" else
                         (user.phone, user.phone_confirmed_at))
    if new_address == old:
        return
    for purpose in ("reset", "confirm"):
        row = find_code(user, purpose)
        if row is not None and row.channel == channel and row.address != new_address:
            _withdraw(row)
    if not old or confirmed_at is None or not new_address:
        return
    enqueue_on_commit(send_change_notice, user.id, channel, old, masked(new_address),
                      user_language(user) or request_language())


@job(retries=3)
def send_change_notice(user_id: int, channel: str, old_address: str, new_address: str,
                       language: str | None = None) -> None:
    user = db.session.get(User, user_id)
    if user is None:
        return
    with force_locale(user_language(user) or language or DEFAULT_LANGUAGE):
        text = (gettext("The email address of your Switchboard account %(username)s is now %(address)s: its codes "
                        "and password resets go there. If you did not make this change, log in, choose a new "
                        "password and change the address back, or ask an operator for help.",
                        username=user.username, address=new_address) if channel == "email" else
                gettext("The phone number of your Switchboard account %(username)s is now %(address)s: its codes "
                        "and password resets go there. If you did not make this change, log in, choose a new "
                        "password and change the number back, or ask an operator for help.",
                        username=user.username, address=new_address))
        send(OutgoingMessage(channel, old_address, str(SUBJECTS["changed"]), text, "changed"))


def use_code(row: AccountCode | None, code: str, *, vague: bool = False) -> None:
    """Check `code` (from actions.validation.check_code) against the row and take the row out
    of the unit: a code works once. The attempt is counted first, for good. `vague`: one answer
    for every refusal (a password reset must not tell whether an account exists)."""
    now = utcnow()
    if row is None or row.code_hash is None:
        raise _refusal("wrong_code", "That code is wrong.", vague)
    counted = _count_attempt(row.id, current_app.config["CODE_MAX_ATTEMPTS"])
    if counted is None:
        raise _refusal("code_exhausted", "That code was tried too many times: ask for a new one.", vague)
    if row.expires_at is None or row.expires_at <= now:
        raise _refusal("code_expired", "That code has expired: ask for a new one.", vague)
    if not hmac.compare_digest(code_hash(row, code), row.code_hash):
        left = current_app.config["CODE_MAX_ATTEMPTS"] - counted
        raise _refusal("wrong_code", f"That code is wrong ({left} {'try' if left == 1 else 'tries'} left).", vague)
    db.session.delete(row)


def code_hash(row: AccountCode, code: str) -> str:
    key = hmac.new(current_app.config["SECRET_KEY"].encode(), b"switchboard account codes", hashlib.sha256).digest()
    return hmac.new(key, f"{row.id}:{row.purpose}:{code}".encode(), hashlib.sha256).hexdigest()


def masked(address: str) -> str:
    """An address as pages show it back: a•••@example.org, +49•••••••67."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}•••@{domain}"
    return address[:3] + "•" * max(len(address) - 5, 1) + address[-2:]


def _count_attempt(code_id: int, maximum: int) -> int | None:
    """Attempts so far including this one; None if the bound was reached."""
    if _may_write_beside_the_unit():
        with db.engine.begin() as connection:
            return connection.execute(_one_more_attempt(code_id, maximum)).scalar_one_or_none()
    counted = db.session.execute(_one_more_attempt(code_id, maximum)).scalar_one_or_none()
    if counted is not None:  # kept with the unit if it commits, counted again if it rolls back
        db.session.info.setdefault(ATTEMPTS_TO_KEEP, []).append((code_id, maximum))
    return counted


def _may_write_beside_the_unit() -> bool:
    """Whether another connection can write now without waiting for this unit: on PostgreSQL always
    (it locks rows, and the unit holds none of account_codes'), on SQLite while the unit has written
    nothing (Python's sqlite3 opens the transaction, and takes the lock, at the first write)."""
    if db.engine.dialect.name != "sqlite":
        return True
    return not db.session.connection().connection.dbapi_connection.in_transaction


def _one_more_attempt(code_id: int, maximum: int):
    return (db.update(AccountCode).where(AccountCode.id == code_id, AccountCode.attempts < maximum)
            .values(attempts=AccountCode.attempts + 1).returning(AccountCode.attempts)
            .execution_options(synchronize_session=False))


@event.listens_for(Session, "after_commit")
def _attempts_kept_with_the_unit(session: Session) -> None:
    session.info.pop(ATTEMPTS_TO_KEEP, None)


@event.listens_for(Session, "after_rollback")
def _count_after_rollback(session: Session) -> None:
    """The unit that tried a code rolled back (a refusal): count its attempts anew, on their own."""
    attempts = session.info.pop(ATTEMPTS_TO_KEEP, None)
    if not attempts:
        return
    try:
        with session.get_bind().begin() as connection:
            for code_id, maximum in attempts:
                connection.execute(_one_more_attempt(code_id, maximum))
    except Exception:  # noqa: BLE001  (the rate limits still bound the guesses: limit_code_attempt)
        log.warning("could not keep the count of a refused code attempt", exc_info=True)


def _refusal(code: str, message: str, vague: bool) -> InvalidInput:
    if vague:
        return InvalidInput("wrong_code", "That code is wrong or has expired. Ask for a new one if needed.")
    return InvalidInput(code, message)


def _other_owner(row: AccountCode) -> User | None:
    return db.session.execute(db.select(User).where(
        User.id != row.user_id, or_(User.email == row.address, User.phone == row.address))).scalars().first()


def code_minutes() -> int:
    """How long a code works (CODE_TTL_SECONDS) in whole minutes, as the messages and pages say it (at least 1)."""
    return max(1, current_app.config["CODE_TTL_SECONDS"] // 60)


def _code_text(purpose: str, code: str) -> str:
    minutes = code_minutes()
    if purpose == "confirm":
        return ngettext("Your Switchboard code is %(code)s. Enter it to confirm your address; it works for "
                        "%(num)d minute. If you did not ask for it, ignore this message.",
                        "Your Switchboard code is %(code)s. Enter it to confirm your address; it works for "
                        "%(num)d minutes. If you did not ask for it, ignore this message.",
                        minutes, code=code)
    return ngettext("Your Switchboard code is %(code)s. Enter it to choose a new password; it works for "
                    "%(num)d minute. If you did not ask for it, ignore this message.",
                    "Your Switchboard code is %(code)s. Enter it to choose a new password; it works for "
                    "%(num)d minutes. If you did not ask for it, ignore this message.",
                    minutes, code=code)


def _notice_text(owner: User) -> str:
    return gettext("Someone tried to register a new Switchboard account with this address, which already belongs "
                   "to the account %(username)s. If it was you, log in as %(username)s (or reset your password from "
                   "the login page). If not, you can ignore this message: nothing was changed.",
                   username=owner.username)
