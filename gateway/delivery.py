"""The gateway's receiving end in every process: frames (gateway.adapter) applied to the
gateway connections this process holds.

Message frames pass through their own realtime.ordering.RevisionOrder first, as Socket.IO's do:
each connection sees a conversation's messages in revision order, once each; a gap still open
after the wait is filled from the database. A connection whose own send was answered already
(command 4 to its sender) skips that message's fan-out, so it sees it once too. A process
that holds no gateway connection drops the frames at once (most processes, most of the time,
pay nothing for the gateway but its rendering), and orders afresh once it holds one.
"""
from __future__ import annotations

import math
import threading
from collections import defaultdict
from collections.abc import Callable

from flask import Flask

from gateway.adapter import message_frame
from gateway.connection import GOING_AWAY, POLICY_VIOLATION, Connection
from gateway.packets import MESSAGE, PUSH, encode
from realtime import token_room, user_room
from realtime.deliveries import read_revisions
from realtime.ordering import RevisionOrder
from realtime.reconcile import Correction, LiveConnection, OneAtATime, RoomChanges, reconcile


class Connections:
    """This process's logged-in gateway connections, by user, token and followed conversation."""

    def __init__(self) -> None:
        self._by_user: dict[int, set[Connection]] = defaultdict(set)
        self._by_conversation: dict[int, set[Connection]] = defaultdict(set)
        self._lock = threading.Lock()

    def add(self, connection: Connection, conversation_ids: list[int]) -> None:
        with self._lock:
            self._by_user[connection.user_id].add(connection)
            for conversation_id in conversation_ids:
                self._follow(connection, conversation_id)

    def remove(self, connection: Connection) -> None:
        with self._lock:
            _discard(self._by_user, connection.user_id, connection)
            for conversation_id in connection.conversations:
                _discard(self._by_conversation, conversation_id, connection)
            connection.conversations = set()

    def follow(self, connection: Connection, conversation_id: int) -> None:
        with self._lock:
            if connection in self._by_user.get(connection.user_id, ()):
                self._follow(connection, conversation_id)

    def unfollow(self, connection: Connection, conversation_id: int) -> None:
        with self._lock:
            connection.conversations.discard(conversation_id)
            _discard(self._by_conversation, conversation_id, connection)

    def following(self, conversation_id: int) -> list[Connection]:
        with self._lock:
            return list(self._by_conversation.get(conversation_id, ()))

    def of_user(self, user_id: int) -> list[Connection]:
        with self._lock:
            return list(self._by_user.get(user_id, ()))

    def with_token(self, token_id: int) -> list[Connection]:
        with self._lock:
            return [connection for connections in self._by_user.values() for connection in connections
                    if connection.token_id == token_id]

    def all(self) -> list[Connection]:
        with self._lock:
            return [connection for connections in self._by_user.values() for connection in connections]

    def count(self) -> int:
        with self._lock:
            return sum(len(connections) for connections in self._by_user.values())

    def _follow(self, connection: Connection, conversation_id: int) -> None:
        connection.conversations.add(conversation_id)
        self._by_conversation[conversation_id].add(connection)


def _discard(index: dict, key: int, connection: Connection) -> None:
    connections = index.get(key)
    if connections is not None:
        connections.discard(connection)
        if not connections:
            del index[key]


class GatewayDelivery:
    def __init__(self, app: Flask, start_background_task: Callable, sleep: Callable[[float], None]) -> None:
        self.app = app
        self.start_background_task = start_background_task
        self.sleep = sleep
        self.connections = Connections()  # logged in
        self.open: set[Connection] = set()  # all, logged in or not (for the shutdown)
        self.order = self._new_order()
        self._order_known = True
        self.bus_state = "ok"
        self.room_changes = RoomChanges()  # follows, unfollows and closes applied (realtime.reconcile)
        self.reconcile_all = OneAtATime(self.reconcile)

    def bus_status_changed(self, state: str) -> None:
        """The bus lost Redis ("degraded") or has it again ("ok"): every connection here is told
        (push `deliveryStatus`), so that its client fetches what it missed once it is "ok"; then, the
        other processes' follows and closes having been missed meanwhile, the connections are brought
        back in line with the database (realtime.reconcile)."""
        was, self.bus_state = self.bus_state, state
        packet = self.status_packet()
        for connection in list(self.open):
            connection.push(packet)
        if was == "degraded" and state == "ok":
            self.room_changes.lost_anywhere()  # logins under way read again
            self.start_background_task(self.reconcile_all)

    def reconcile(self, connections: list[Connection] | None = None) -> int:
        """Every logged-in connection (or those given) closed if its token no longer works, else
        following exactly the conversations its user may read now. Returns how many were corrected."""
        live = [LiveConnection(connection, connection.user_id, "token", connection.token_id,
                               frozenset(connection.conversations))
                for connection in (self.connections.all() if connections is None else connections)]
        return reconcile(self.app, live, self.room_changes, self._correct, self.sleep,
                         "gateway connections")

    def _correct(self, live: LiveConnection, correction: Correction) -> bool:
        connection = live.connection
        if connection not in self.connections.of_user(live.user_id) or connection.closing:  # closed meanwhile
            return False
        if correction.cut:  # its token no longer works; or it could not be checked: it may log in again at once
            reason, code = ("unauthorized", POLICY_VIOLATION) if correction.checked else ("unavailable", GOING_AWAY)
            connection.push(encode(PUSH, {"type": "closed", "errorCode": reason, "errorMsg": CLOSE_REASONS[reason]}))
            connection.close(code, reason)
            return True
        for conversation_id in correction.follow:
            self.connections.follow(connection, conversation_id)
        for conversation_id in correction.unfollow:
            self.connections.unfollow(connection, conversation_id)
        return True

    def status_packet(self) -> bytes:
        return encode(PUSH, {"type": "deliveryStatus", "state": self.bus_state})

    def _new_order(self) -> RevisionOrder:
        return RevisionOrder(self._apply, self._read_missing, self.start_background_task, self.sleep,
                             held=self.app.extensions["events"].unreleased.held_between)

    def receive(self, frames: list[dict]) -> None:
        if not self.open:  # no gateway connection in this process: nothing to deliver, nothing to order
            self._order_known = False
            return
        if not self._order_known:  # frames were dropped meanwhile: order afresh, as after a start
            self.order, self._order_known = self._new_order(), True
        self.order.receive(frames)

    def _apply(self, frame: dict) -> None:
        action = frame["action"]
        if action != "message" and "before" not in frame:  # aimed at a user's connections, or a token's
            # (named as rooms are); a close of the logins before a moment spares those still logging in
            self.room_changes.applied(user_room(frame["user"]) if "user" in frame else token_room(frame["token"]))
        if action == "message":
            packet = encode(frame["command"], frame["body"])
            for connection in self.connections.following(frame["conversation"]):
                if frame["command"] == MESSAGE and connection.was_answered(frame["message"]):
                    continue
                connection.push(packet)
        elif action in ("follow", "unfollow"):
            packet = encode(PUSH, frame["body"])
            for connection in self.connections.of_user(frame["user"]):
                if action == "follow":
                    self.connections.follow(connection, frame["conversation"])
                else:
                    self.connections.unfollow(connection, frame["conversation"])
                connection.push(packet)
        elif action == "close":
            reason = frame["reason"]
            packet = encode(PUSH, {"type": "closed", "errorCode": reason, "errorMsg": CLOSE_REASONS.get(
                reason, "This connection was closed by the server.")})
            connections = (self.connections.of_user(frame["user"]) if "user" in frame
                           else self.connections.with_token(frame["token"]))
            for connection in connections:
                if connection.id == frame.get("keep") or connection.logged_in_at > frame.get("before", math.inf):
                    continue  # the login that signed the others out, or a later one
                connection.push(packet)
                connection.close(POLICY_VIOLATION, reason)

    def close_all(self) -> int:
        """At shutdown (SIGTERM, gunicorn.conf.py): every connection is told (`closed`,
        `shutting_down`) and closed (1001) once the command it runs, if any, is answered; its
        client reconnects, to another instance. Returns how many."""
        packet = encode(PUSH, {"type": "closed", "errorCode": "shutting_down",
                               "errorMsg": CLOSE_REASONS["shutting_down"]})
        connections = [connection for connection in self.open if not connection.closing and not connection.ending]
        for connection in connections:
            connection.end_when_idle(GOING_AWAY, "shutting_down", packet)
        return len(connections)

    def _read_missing(self, conversation_id: int, first: int, last: int) -> list[tuple[int, dict]]:
        return read_revisions(self.app, conversation_id, first, last,
                              lambda message, changed: message_frame(message, message.revision, created=not changed))


CLOSE_REASONS = {
    "deactivated": "This account was deactivated.",
    "suspended": "This account was suspended: logging in again says until when and why.",
    "password_reset": "An operator reset this account's password: log in again with a new token.",
    "signed_in_elsewhere": "This account logged in on another device (one at a time on this server).",
    "shutting_down": "This server is restarting: connect again.",
    "token_revoked": "The token this connection logged in with was revoked.",
    "unauthorized": "The token this connection logged in with no longer works: log in again.",
    "unavailable": "This connection could not be checked again after an outage: connect and log in again.",
}
