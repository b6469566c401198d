"""Registration and recovery: accounts confirmed by a code sent to an email address or a phone,
invitations, and password reset by code. The rules that apply are chosen by REGISTRATION:

- `open` (default): a username and a password, nothing else needed. An email or phone may be
  given: the account works at once, and the address joins it once its code is entered.
- `email`, `phone`, `email,phone`: an address of that kind is required; the account can only log
  in to confirm it until the code sent there is entered.
- `invite`: like `open`, with an invitation code from an operator (or an account an operator creates).
- `closed`: nobody registers; operators create accounts.

Whether an address already belongs to an account is never told: the answer is the same, and the
address's owner is told instead (actions.codes). A taken username is reported (usernames are public).
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from actions.access import access_operator
from actions.accounts import (
    account_may_open,
    check_own_password,
    find_account_by_login,
    open_account,
    register_user,
    suspension_is_over,
)
from actions.audit import record as audit
from actions.audit import snapshot
from actions.codes import ask_for_code, find_code, masked, tell_replaced_address, use_code
from actions.direct import close_direct_chats_of_deleted_unchecked
from actions.errors import Conflict, Forbidden, InvalidInput, NotFound
from actions.groups import leave_groups_of_deleted_unchecked
from actions.lockout import end_lockout
from actions.rate_limits import RateLimited
from actions.security_log import record_security_event
from actions.sessions import end_api_tokens, end_sessions
from actions.token_hash import hash_token
from actions.two_factor import require_second_factor
from actions.validation import check_code, check_email, check_int, check_password, check_phone, check_string
from events import atomic
from extensions import db
from i18n import request_language
from jobs import crontab, enqueue_on_commit, job
from models import SecurityEvent, User
from models.database import begin_writing
from models.invite import Invite
from models.time import utcnow

log = logging.getLogger(__name__)

INVITE_PREFIX = "inv_"
INVITE_FIELDS = ("note", "uses_left", "used", "expires_at", "revoked_at")  # never the code's hash


@dataclass(frozen=True)
class Registration:
    user: User
    confirmation: dict | None  # {"channel", "sent_to"} when a code was sent; None otherwise


def registration_modes() -> tuple[str, ...]:
    return current_app.config["REGISTRATION"]


def address_kinds() -> tuple[str, ...]:
    """The kinds of address registration requires (empty: none is required)."""
    return tuple(mode for mode in registration_modes() if mode in ("email", "phone"))


def registration_is_open() -> bool:
    return "closed" not in registration_modes()


@atomic()
def register_account(username: object, password: object, display_name: object = None, email: object = None,
                     phone: object = None, invite: object = None) -> Registration:
    """Self-registration under the REGISTRATION rules; a given address gets a code (or its owner
    a notice), and the answer is the same either way."""
    modes = registration_modes()
    if "closed" in modes:
        raise Forbidden("registration_closed", "Registration is closed: ask an operator for an account.")
    given = _address_to_confirm(email, phone)
    # Checked under every setting, as every other field is; only `invite` registration redeems it.
    invite = check_string(invite, "invite", max_length=64, required=False)
    redeemed = _redeem_invite(invite) if "invite" in modes else None
    user = register_user(username, password, display_name, confirmed=not address_kinds())
    if redeemed is not None:
        redeemed.used += 1
        redeemed.uses_left -= 1
    if given is None:
        return Registration(user, None)
    ask_for_code(user, "confirm", *given)
    return Registration(user, {"channel": given[0], "sent_to": masked(given[1])})


def _address_to_confirm(email: object, phone: object) -> tuple[str, str] | None:
    """(channel, normalized address) of what was given, under the REGISTRATION rules; None if nothing
    was given and nothing is required."""
    email, phone = check_email(email), check_phone(phone)
    if email and phone:
        raise InvalidInput("invalid_address", "Give an email address or a phone number, not both.")
    kinds = address_kinds()
    if kinds and not ((email and "email" in kinds) or (phone and "phone" in kinds)):
        wanted = " or ".join({"email": "an email address", "phone": "a phone number"}[kind] for kind in kinds)
        raise InvalidInput("address_required", f"Registration needs {wanted}.")
    if email:
        return "email", email
    return ("phone", phone) if phone else None


def pending_confirmation(user: User) -> dict | None:
    """Where the code confirming an address was sent, if one is waiting."""
    row = find_code(user, "confirm")
    return {"channel": row.channel, "sent_to": masked(row.address)} if row is not None else None


@atomic()
def confirm_address(user: User, code: object) -> User:
    """The code sent to the pending address: the address joins the account, which is confirmed."""
    code = check_code(code)
    row = find_code(user, "confirm")
    if row is None:
        raise NotFound("nothing_to_confirm", "No address is waiting for a code.")
    channel, address = row.channel, row.address
    use_code(row, code)
    column = User.email if channel == "email" else User.phone
    if db.session.execute(db.select(User.id).where(column == address, User.id != user.id)).first():
        # Only whoever received the code learns this: the address is theirs, and so is that account.
        raise Conflict(f"{channel}_taken", "That address belongs to another account: log in to it instead.")
    now = utcnow()
    tell_replaced_address(user, channel, address)
    if channel == "email":
        user.email, user.email_confirmed_at = address, now
    else:
        user.phone, user.phone_confirmed_at = address, now
    user.confirmed_at = user.confirmed_at or now
    return user


@atomic()
def resend_confirmation(user: User, email: object = None, phone: object = None) -> dict:
    """A new code to the address waiting for confirmation, or to the one given (a mistyped
    address corrected, or an address added from the settings); throttled either way: RateLimited
    with the time to wait. A given address another account has gets that owner a notice instead."""
    row = find_code(user, "confirm")
    given = _address_to_confirm(email, phone) if email or phone else None
    if given is None and row is None:
        raise NotFound("nothing_to_confirm", "No address is waiting for a code.")
    if given is not None and given[1] in (user.email, user.phone):
        raise InvalidInput("invalid_address", "That address is already yours.")
    channel, address = given or (row.channel, row.address)
    ask_for_code(user, "confirm", channel, address)
    return {"channel": channel, "sent_to": masked(address)}


@atomic()
def change_address(user: User, password: object, email: object = None, phone: object = None) -> dict:
    """A code to a new address for an account already confirmed, from its own session (the
    settings page): it takes the password, as POST /api/accounts/resend does. Whoever holds only
    the session (a stolen cookie, a browser left open) must not make the address, where password
    reset codes go, theirs."""
    check_own_password(user, password)
    return resend_confirmation(user, email, phone)


# -- password reset ---------------------------------------------------------------------------------

@atomic()
def request_password_reset(login: object) -> None:
    """Have a reset code sent to the confirmed address of the account `login` names (username, email
    or phone). Says nothing, and takes as long whatever `login` names: the account is looked up
    by a job, after the answer, which is given the language of this request for the message and
    the time it was asked."""
    enqueue_on_commit(send_reset_code, check_string(login, "login", max_length=254), request_language(),
                      utcnow().isoformat())


@job(retries=2)
def send_reset_code(login: str, language: str | None = None, asked_at: str | None = None) -> None:
    """The account `login` names gets a reset code at its confirmed address (the email, unless the
    phone was typed), in its own language or else `language`. An unknown account, one without a
    confirmed address, one whose password was changed or reset since `asked_at` (its owner chose
    a password since: a code asked for before must not undo it, as withdraw_code), and a code
    asked for too soon all end here, silently."""
    user = find_account_by_login(login)
    if user is None or not account_may_open(user) or _password_set_since(user, asked_at):
        return
    typed_phone = user.phone is not None and isinstance(login, str) and user.phone == _phone_or_none(login)
    addresses = [("phone", user.phone, user.phone_confirmed_at), ("email", user.email, user.email_confirmed_at)]
    if not typed_phone:
        addresses.reverse()  # the email first, unless the phone was typed
    for channel, address, confirmed_at in addresses:
        if address and confirmed_at is not None:
            try:
                ask_for_code(user, "reset", channel, address, language)
            except RateLimited:
                pass  # silently: telling "too soon" would tell the account exists
            return


def _password_set_since(user: User, asked_at: str | None) -> bool:
    if asked_at is None:
        return False
    return db.session.execute(db.select(SecurityEvent.id).where(
        SecurityEvent.user_id == user.id, SecurityEvent.kind.in_(("password_changed", "password_reset")),
        SecurityEvent.created_at >= datetime.fromisoformat(asked_at)).limit(1)).first() is not None


def _phone_or_none(value: str) -> str | None:
    try:
        return check_phone(value)
    except InvalidInput:
        return None


@atomic()
def reset_password_with_code(login: object, code: object, new_password: object, totp: object = None) -> User:
    """The reset code and a new password: the password is replaced and every session, remember
    cookie and API token of the account ends (the caller logs this browser in anew). The code
    proves the address, not the second factor: an account with two-factor needs `totp` too, else
    nothing changes (401 two_factor_required, invalid_code, code_used)."""
    code = check_code(code)
    user = find_account_by_login(login)
    usable = user is not None and account_may_open(user)
    use_code(find_code(user, "reset") if usable else None, code, vague=True)
    with db.session.no_autoflush:  # nothing written yet: a refused code is logged on its own, even on SQLite
        require_second_factor(user, totp)
    if suspension_is_over(user):
        open_account(user)  # as a login after the suspension's end does
    new_password = check_password(new_password, user.username)
    user.set_password(new_password)
    user.must_change_password = False
    record_security_event("password_reset", user=user, detail="by code")
    end_lockout(user)  # the code proved the owner: a lock a guesser caused ends too
    end_sessions(user, reason="password_reset")
    end_api_tokens(user)
    return user


@job(periodic=crontab(minute="23"))
def purge_unconfirmed_accounts() -> None:
    """Hourly: accounts never confirmed within UNCONFIRMED_ACCOUNT_DAYS are deleted, so that a
    username (or a pending address) is not held for ever by someone who never got the code."""
    days = current_app.config["UNCONFIRMED_ACCOUNT_DAYS"]
    if days <= 0:
        return
    # Such an account never got a session past /confirm: nothing of it but its login sessions,
    # its code and security log rows exists, and those go with it (ON DELETE CASCADE / SET NULL);
    # others may have written to it, though: those direct chats become read-only. One decision: the
    # accounts are locked first (SQLite: the write lock), so that one confirmed meanwhile is neither
    # deleted nor has its chats closed, and a chat opened with one meanwhile is closed with the others.
    expired = db.select(User.id).where(User.confirmed_at.is_(None),
                                       User.created_at < utcnow() - timedelta(days=days))
    begin_writing(db.session.connection())
    # In id order, as a send or an edit holds the accounts it mentions (actions.mentions.hold_mentionable):
    # in the order its scan met them, the purge could hold one such account and wait for another that
    # the send held while waiting for the first (PostgreSQL cancelled one).
    if not db.session.execute(expired.order_by(User.id).with_for_update()).first():
        return
    close_direct_chats_of_deleted_unchecked(expired)
    leave_groups_of_deleted_unchecked(expired)
    deleted = db.session.execute(db.delete(User).where(User.id.in_(expired))).rowcount
    if deleted:
        log.info("deleted %d accounts never confirmed in %d days", deleted, days)


# -- invitations --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IssuedInvite:
    code: str  # shown once; only its hash is stored
    record: Invite


@atomic()
def create_invite(operator: User | None, uses: object = 1, days: object = None, note: object = "") -> IssuedInvite:
    """An invitation for `uses` accounts, valid `days` (INVITE_DAYS by default). `operator` None:
    the command line (flask create-invite), which is the operators' own."""
    if operator is not None:
        operator = access_operator(operator)
    uses = check_int(uses, "uses", minimum=1, maximum=10_000)
    days = check_int(days, "days", minimum=1, maximum=365, required=False) or current_app.config["INVITE_DAYS"]
    note = check_string(note, "note", max_length=120, required=False)
    code = INVITE_PREFIX + secrets.token_urlsafe(12)
    record = Invite(code_hash=hash_token(code), created_by_id=operator.id if operator else None, note=note,
                    uses_left=uses, used=0, expires_at=utcnow() + timedelta(days=days))
    db.session.add(record)
    db.session.flush()
    if operator is not None:
        audit(operator, "invite.create", "invite", record.id, None, snapshot(record, INVITE_FIELDS))
    return IssuedInvite(code, record)


@atomic()
def revoke_invite(operator: User, invite_id: int) -> Invite:
    """An operator withdraws an invitation: it opens no more accounts."""
    operator = access_operator(operator)
    invite = db.session.get(Invite, invite_id)
    if invite is None:
        raise NotFound("invite_not_found", "No such invitation.")
    if invite.revoked_at is None:
        before = snapshot(invite, INVITE_FIELDS)
        invite.revoked_at = utcnow()
        audit(operator, "invite.revoke", "invite", invite.id, before, snapshot(invite, INVITE_FIELDS))
    return invite


def _redeem_invite(code: str) -> Invite:
    invite = None
    if code.startswith(INVITE_PREFIX):
        invite = db.session.execute(
            db.select(Invite).where(Invite.code_hash == hash_token(code)).with_for_update()
        ).scalar_one_or_none()
    if invite is None or invite.revoked_at is not None or invite.uses_left < 1 or invite.expires_at <= utcnow():
        raise InvalidInput("invalid_invite", "Registration needs an invitation: this one is unknown, used or expired.")
    return invite
