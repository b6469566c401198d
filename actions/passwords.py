"""People change their own password, e.g. the temporary one an operator set."""
from __future__ import annotations

from actions.accounts import check_own_password
from actions.codes import withdraw_code
from actions.errors import InvalidInput
from actions.security_log import record_security_event
from actions.sessions import end_api_tokens, end_sessions
from actions.validation import check_password
from events import atomic
from models import User


@atomic()
def change_password(user: User, current_password: object, new_password: object,
                    keep_session_id: str | None = None) -> User:
    """Replace the password after proving the current one; clears `must_change_password`. Every
    other login session (with its remember cookie) and every API token of the user end, and
    their sockets are cut: whoever else held the account is out. `keep_session_id` (the
    caller's own session) goes on."""
    check_own_password(user, current_password, "The current password is wrong.")
    new_password = check_password(new_password, user.username)
    if new_password == current_password:
        raise InvalidInput("password_unchanged", "Choose a password different from the current one.")
    user.set_password(new_password)
    user.must_change_password = False
    withdraw_code(user, "reset")  # asked for before: whoever holds it must not undo this change
    record_security_event("password_changed", user=user)
    end_sessions(user, keep_session_id=keep_session_id, reason="password_changed")
    end_api_tokens(user)
    return user
