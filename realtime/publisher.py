"""Publishing realtime events. Actions call these only after their transaction commits.

Inside a Socket.IO handler, events are held back until the handler has produced its
acknowledgement (see blueprints.chat.events), so the sender learns that a message is
stored before anyone is told about it.
"""
from __future__ import annotations

from flask import g, has_app_context

from extensions import socketio
from realtime import conversation_room, token_room, user_room
from realtime.manager import NAMESPACE, ROOM_COMMAND_EVENT


def publish(event: str, payload: dict, room: str) -> None:
    held = g.get("held_events") if has_app_context() else None
    if held is not None:
        held.append((event, payload, room))
    else:
        socketio.emit(event, payload, to=room, namespace=NAMESPACE)


def hold_events() -> None:
    g.held_events = []


def take_held_events() -> list[tuple[str, dict, str]]:
    events = g.pop("held_events", None) or []
    return events


def release(events: list[tuple[str, dict, str]]) -> None:
    for event, payload, room in events:
        socketio.emit(event, payload, to=room, namespace=NAMESPACE)


def to_conversation(conversation_id: int, event: str, payload: dict) -> None:
    publish(event, payload, conversation_room(conversation_id))


def to_user(user_id: int, event: str, payload: dict) -> None:
    publish(event, payload, user_room(user_id))


def join_conversation_room(user_id: int, conversation_id: int) -> None:
    """Every live socket of the user starts receiving the conversation's events."""
    _room_command("join", user_room(user_id), conversation_room(conversation_id))


def leave_conversation_room(user_id: int, conversation_id: int) -> None:
    _room_command("leave", user_room(user_id), conversation_room(conversation_id))


def disconnect_user(user_id: int) -> None:
    """Cut every live socket of the user, in every server process."""
    _room_command("disconnect", user_room(user_id))


def disconnect_token(token_id: int) -> None:
    """Cut every live socket opened with this API token."""
    _room_command("disconnect", token_room(token_id))


def _room_command(action: str, target: str, room: str | None = None) -> None:
    publish(ROOM_COMMAND_EVENT, {"action": action, "target": target, "room": room}, target)
