"""Operators manage accounts: create, edit, promote and demote, reset passwords,
deactivate (ban), suspend until a date, and reactivate. Each change writes its audit entry in its transaction."""
from __future__ import annotations

from actions.access import OPERATOR_ROLE, access_operator, access_own_session
from actions.accounts import open_account, register_user, tell_groups_account_changed_unchecked
from actions.audit import record, snapshot
from actions.codes import tell_replaced_address, withdraw_code
from actions.errors import Conflict, NotFound
from actions.groups import share_groups_of_closed_account_unchecked
from actions.security_log import record_security_event
from actions.sessions import end_api_tokens, end_session_unchecked, end_sessions, list_sessions
from actions.validation import (
    check_choice,
    check_email,
    check_future_moment,
    check_password,
    check_phone,
    check_string,
    check_username,
    is_clean_text,
)
from actions.web_push import forget_subscriptions
from events import atomic, queue_event
from events.facts import UserSessionsRevoked
from extensions import db
from models import User
from models.database import begin_writing
from models.login_session import LoginSession
from models.time import utcnow
from models.user import ROLES

SUSPENSION_REASON_LENGTH = 500

# What the audit log keeps of an account: never the password hash.
ACCOUNT_FIELDS = ("username", "display_name", "email", "phone", "role", "active", "must_change_password",
                  "deactivated_at", "suspended_until", "suspension_reason")


def get_account(user_id: int) -> User:
    """Any account, active or not: operators also manage deactivated ones. Only loads: the
    operator actions below check the operator first."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user_not_found", "No such user.")
    return user


def get_account_by_username(username: object) -> User:
    """The account with this username (any case), active or not."""
    name = username.strip().lower() if is_clean_text(username) else ""  # PostgreSQL compares no NUL
    user = db.session.execute(db.select(User).where(User.username == name)).scalar_one_or_none() if name else None
    if user is None:
        raise NotFound("user_not_found", "No such user.")
    return user


@atomic()
def create_user(operator: User, username: str, password: str, display_name: str | None = None,
                email: str | None = None, phone: str | None = None, role: str = "user",
                must_change_password: bool = True) -> User:
    """An operator opens an account with a first password (to be changed at first login by default)."""
    operator = access_operator(operator)
    role = check_choice(role, "role", ROLES, default="user")
    user = register_user(username, password, display_name, email, phone, role=role)
    user.must_change_password = bool(must_change_password)
    record(operator, "user.create", "user", user.id, None, snapshot(user, ACCOUNT_FIELDS))
    return user


@atomic()
def edit_user(operator: User, user_id: int, username: str, display_name: str,
              email: str | None = None, phone: str | None = None) -> User:
    """An operator corrects an account's names and contact details."""
    operator = access_operator(operator)
    user = get_account(user_id)
    username, email, phone = check_username(username, keeping=user.username), check_email(email), check_phone(phone)
    display_name = check_string(display_name, "display_name", max_length=64)
    for column, value, code in ((User.username, username, "username_taken"), (User.email, email, "email_taken"),
                                (User.phone, phone, "phone_taken")):
        if value and db.session.execute(db.select(User.id).where(column == value, User.id != user.id)).first():
            raise Conflict(code, f"Another account already uses that {column.key}.")
    before = snapshot(user, ACCOUNT_FIELDS)
    # A confirmed address replaced is told, as when its owner replaces it (actions.registration.confirm_address).
    for channel, new in (("email", email), ("phone", phone)):
        tell_replaced_address(user, channel, new)
    # An address an operator enters counts as confirmed (password reset codes may go there).
    if email != user.email:
        user.email_confirmed_at = utcnow() if email else None
    if phone != user.phone:
        user.phone_confirmed_at = utcnow() if phone else None
    user.username, user.display_name, user.email, user.phone = username, display_name, email, phone
    return _record_account_change(operator, "user.edit", user, before)


@atomic()
def set_user_role(operator: User, user_id: int, role: str) -> User:
    """Promote to operator (admin) or demote to user."""
    operator = access_operator(operator)
    role = check_choice(role, "role", ROLES)
    user = get_account(user_id)
    if user.id == operator.id:
        # Demoting yourself could leave nobody to run the service; another operator must do it.
        raise Conflict("cannot_change_own_role", "Operators cannot change their own role.")
    operator = _hold_operators(operator, user)
    if user.role == role:
        return user
    before = snapshot(user, ACCOUNT_FIELDS)
    user.role = role
    return _record_account_change(operator, "user.promote" if role == OPERATOR_ROLE else "user.demote", user, before)


@atomic()
def reset_password(operator: User, user_id: int, temporary_password: str) -> User:
    """Set a temporary password the user must change at next login; every session, remember
    cookie and token ends, and every live socket is cut."""
    operator = access_operator(operator)
    user = get_account(user_id)
    temporary_password = check_password(temporary_password, user.username)
    before = snapshot(user, ACCOUNT_FIELDS)
    user.set_password(temporary_password)
    user.must_change_password = True
    withdraw_code(user, "reset")
    record_security_event("password_reset", user=user, detail=f"temporary password set by operator {operator.username}")
    # A reset often means the account was taken over: whoever holds it now is cut off, and stays
    # out once the owner picks a new password.
    ended = end_sessions(user, reason="password_reset")
    revoked = end_api_tokens(user)
    queue_event(UserSessionsRevoked(user.id, "password_reset"))
    return _record_account_change(operator, "user.reset_password", user, before, revoked_tokens=revoked,
                                  ended_sessions=ended)


@atomic()
def deactivate_user(operator: User, user_id: int) -> User:
    """Ban: no login, no token, no socket, from now on; live sockets are cut at once. Sessions and
    tokens end for good: lifting the ban does not revive them."""
    operator = access_operator(operator)
    user = get_account(user_id)
    if user.id == operator.id:
        raise Conflict("cannot_deactivate_self", "Operators cannot deactivate their own account.")
    operator = _hold_operators(operator, user)
    if not user.active:
        return user
    before = snapshot(user, ACCOUNT_FIELDS)
    return _record_account_change(operator, "user.deactivate", user, before, **_close_account(user, "deactivated"))


@atomic()
def suspend_user(operator: User, user_id: int, until: object, reason: object) -> User:
    """Suspend until a time, for a reason its owner is told (at login, and on the open page as the
    session:ended reason "suspended"): inactive meanwhile, exactly as deactivated (sessions, tokens
    and sockets end now), and open again at the first login after `until`. Suspending a suspended
    account sets the new end and reason; a deactivated one stays deactivated (409)."""
    operator = access_operator(operator)
    user = get_account(user_id)
    ends = check_future_moment(until, "until")
    reason = check_string(reason, "reason", max_length=SUSPENSION_REASON_LENGTH)
    if user.id == operator.id:
        raise Conflict("cannot_suspend_self", "Operators cannot suspend their own account.")
    operator = _hold_operators(operator, user)
    if not user.active and user.suspended_until is None:
        raise Conflict("already_deactivated", "This account is deactivated for good: reactivate it first.")
    before = snapshot(user, ACCOUNT_FIELDS)
    closed = _close_account(user, "suspended") if user.active else {"revoked_tokens": 0, "ended_sessions": 0}
    user.suspended_until, user.suspension_reason = ends, reason
    return _record_account_change(operator, "user.suspend", user, before, **closed)


@atomic()
def unsuspend_user(operator: User, user_id: int) -> User:
    """End a suspension before its time (409 `not_suspended` for an account that is not: a
    deactivated one is reactivated with reactivate_user)."""
    operator = access_operator(operator)
    user = get_account(user_id)
    if user.active or user.suspended_until is None:
        raise Conflict("not_suspended", "This account is not suspended.")
    before = snapshot(user, ACCOUNT_FIELDS)
    open_account(user)
    return _record_account_change(operator, "user.unsuspend", user, before)


@atomic()
def reactivate_user(operator: User, user_id: int) -> User:
    """Lift a ban or a suspension: the user can log in again (old sessions and tokens stay ended)."""
    operator = access_operator(operator)
    user = get_account(user_id)
    if user.active:
        return user
    before = snapshot(user, ACCOUNT_FIELDS)
    open_account(user)
    return _record_account_change(operator, "user.reactivate", user, before)


def list_user_sessions(operator: User, user_id: int) -> list[LoginSession]:
    """An account's live login sessions, for the Users panel."""
    access_operator(operator)
    return list_sessions(get_account(user_id))


@atomic()
def end_user_session(operator: User, user_id: int, session_id: object) -> LoginSession:
    """Log one session of an account out (its sockets are cut at once); the audit log keeps it."""
    operator = access_operator(operator)
    user = get_account(user_id)
    login_session = access_own_session(user, session_id)  # a session of this account, still going
    end_session_unchecked(login_session, "revoked_by_operator")
    record(operator, "user.end_session", "user", user.id, {"session": _session_view(login_session)},
           {"ended_reason": login_session.ended_reason})
    return login_session


@atomic()
def end_user_sessions(operator: User, user_id: int) -> int:
    """Log an account out everywhere (tokens stay: revoke them with a password reset or a ban)."""
    operator = access_operator(operator)
    user = get_account(user_id)
    count = end_sessions(user, reason="revoked_by_operator")
    record(operator, "user.end_sessions", "user", user.id, None, {"ended_sessions": count})
    return count


def _hold_operators(operator: User, user: User) -> User:
    """An operator demoting, deactivating or suspending another operator: both rows locked (in id order) and
    read again, so that two operators doing it to each other at once do not both succeed, leaving nobody to
    run the service (SQLite: the write lock, taken before they are read): the later one finds itself no
    operator any more (403 `not_an_operator`). FOR NO KEY UPDATE, as the account's UPDATE locks it: a row that
    only refers to either (a send's message: its foreign key's KEY SHARE) need not wait, where FOR UPDATE made
    a send by the operator being closed, holding its group's numbers, and this closing, going on to hold that
    group (share_groups_of_closed_account_unchecked), wait for each other (PostgreSQL cancelled one)."""
    if user.role != OPERATOR_ROLE:
        return operator
    begin_writing(db.session.connection())
    for row in sorted((operator, user), key=lambda row: row.id):
        db.session.refresh(row, with_for_update={"key_share": True})
    return access_operator(operator)


def _close_account(user: User, reason: str) -> dict:
    """Inactive from now on: every session and token ends, every live socket is cut (`reason` is
    the session:ended reason). What ended, for the audit entry."""
    user.active = False
    user.deactivated_at = utcnow()
    share_groups_of_closed_account_unchecked(user)
    tell_groups_account_changed_unchecked(user)
    ended = end_sessions(user, reason=reason)
    revoked = end_api_tokens(user)
    forget_subscriptions(user_id=user.id)  # tokens' and older ones too: nothing more is pushed to the account
    queue_event(UserSessionsRevoked(user.id, reason))
    return {"revoked_tokens": revoked, "ended_sessions": ended}


def _session_view(login_session: LoginSession) -> dict:
    """What the audit log keeps of a session: enough to recognize it, never its remember token."""
    return {"id": login_session.id, "device": login_session.device, "ip_address": login_session.ip_address,
            "method": login_session.method, "created_at": login_session.created_at}


def _record_account_change(operator: User, action: str, user: User, before: dict, **extra) -> User:
    record(operator, action, "user", user.id, before, {**snapshot(user, ACCOUNT_FIELDS), **extra})
    return user
