"""Realtime plumbing: the Socket.IO adapter of the domain events, its bus, revision
order, and presence.

Rooms: `user:<id>` holds every live socket of one user (all tabs and devices);
`conversation:<id>` holds the sockets of every member of a conversation;
`token:<id>` holds the sockets opened with one API token; `session:<id>` those opened
with one login session (one browser's cookie).
"""


# The Socket.IO namespace of the login page waiting for a QR-code approval: anonymous sockets
# are accepted there, and only there (blueprints/auth/qr_events.py).
QR_LOGIN_NAMESPACE = "/qr-login"


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def conversation_room(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"


def token_room(token_id: int) -> str:
    """The sockets opened with one API token: cut together when it is revoked."""
    return f"token:{token_id}"


def session_room(session_id: str) -> str:
    """The sockets opened with one login session (one browser): cut together at its logout."""
    return f"session:{session_id}"


def credential_room(method: str, credential: object) -> str | None:
    """The room of the sockets opened with one credential: a login session's (`"session"`) or a
    token's; None without a credential of its own (nothing to join)."""
    if credential is None:
        return None
    return session_room(str(credential)) if method == "session" else token_room(int(credential))


def room_kind_and_id(room: object) -> tuple[str, int | str] | None:
    """What a room of the names above is, and of what: `("user", 5)`, `("session", "ab12")`; None
    for any other room (a socket's own, by its sid)."""
    kind, separator, value = str(room).partition(":")
    if not separator or kind not in ("user", "conversation", "token", "session"):
        return None
    if kind == "session":
        return kind, value
    return (kind, int(value)) if value.isdigit() else None
