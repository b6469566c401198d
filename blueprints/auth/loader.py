"""How Flask-Login finds the user of a session cookie."""
from extensions import db, login_manager
from models import User


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    # A deactivated account's sessions stop working at their next request.
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    return user if user is not None and user.active else None
