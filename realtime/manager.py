"""Socket.IO client managers that can move *all sockets of a user* between rooms.

Actions know users and tokens, not socket ids, and with several server processes a
user's sockets live in other processes. A room command is published like an emit to
its target room (`user:<id>`, `token:<id>`), so it travels through the message queue
when there is one; every process then applies it to the sockets of that room it holds,
instead of sending it.
"""
from __future__ import annotations

import socketio

ROOM_COMMAND_EVENT = "switchboard:room-command"
NAMESPACE = "/"


class RoomCommandMixin:
    """Applies {action: join|leave|disconnect, target, room} to the local sockets in `target`."""

    def apply_room_command(self, command: dict) -> None:
        sockets = list(self.get_participants(NAMESPACE, command["target"]))
        for sid, eio_sid in sockets:
            if command["action"] == "join":
                self.basic_enter_room(sid, NAMESPACE, command["room"], eio_sid=eio_sid)
            elif command["action"] == "leave":
                self.basic_leave_room(sid, NAMESPACE, command["room"])
            elif command["action"] == "disconnect":
                self.server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)


class LocalManager(RoomCommandMixin, socketio.Manager):
    """In-process manager: one server process, no message queue."""

    def emit(self, event, data, *args, **kwargs):
        if event == ROOM_COMMAND_EVENT:
            return self.apply_room_command(data)
        return super().emit(event, data, *args, **kwargs)


class RedisManager(RoomCommandMixin, socketio.RedisManager):
    """Redis pub/sub manager: every process applies the commands to its own sockets."""

    def _handle_emit(self, message):
        if message.get("event") == ROOM_COMMAND_EVENT:
            if self.server is not None:  # write-only managers hold no sockets
                return self.apply_room_command(message["data"][0])
            return None
        return super()._handle_emit(message)


def build_client_manager(message_queue: str, write_only: bool = False) -> socketio.Manager:
    if not message_queue:
        return LocalManager()
    if message_queue.startswith(("redis://", "rediss://", "unix://")):
        return RedisManager(message_queue, channel="switchboard", write_only=write_only)
    raise RuntimeError("SOCKETIO_MESSAGE_QUEUE must be a redis:// URL (or empty for in-process)")
