"""Realtime plumbing: rooms, publishing after commit, presence.

Rooms: `user:<id>` holds every live socket of one user (all tabs and devices);
`conversation:<id>` holds the sockets of every member of a conversation.
"""


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def conversation_room(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"
