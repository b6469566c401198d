"""People change their own password, e.g. the temporary one an operator set."""
from __future__ import annotations

from actions.errors import InvalidInput, Unauthorized
from actions.validation import check_password
from events import atomic
from models import User


@atomic()
def change_password(user: User, current_password: object, new_password: object) -> User:
    """Replace the password after proving the current one; clears `must_change_password`."""
    if not isinstance(current_password, str) or not user.check_password(current_password):
        raise Unauthorized("invalid_credentials", "The current password is wrong.")
    new_password = check_password(new_password)
    if new_password == current_password:
        raise InvalidInput("password_unchanged", "Choose a password different from the current one.")
    user.set_password(new_password)
    user.must_change_password = False
    return user
