"""Many clients writing at once over raw connections (tests.wire_client), and checks of what
every connection then received: answers before events, revision order, the stored state."""
from __future__ import annotations

import random
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from tests.servers import ChatUser
from tests.wire_client import Frame, Request, RestCall, WireHub, WireSocket

MESSAGE_EVENTS = ("message:new", "message:updated")
FIELDS = ("seq", "body", "removed", "edited_at", "revision")


@dataclass
class Writer:
    """One user writing from one place: over its own socket, or over REST to `server_url`."""

    user: ChatUser
    socket: WireSocket
    server_url: str
    conversations: list[int]
    over_rest: bool = False
    writes_left: int = 0
    in_flight: list[Request] = field(default_factory=list)
    own: list[dict] = field(default_factory=list)  # own stored messages, newest state, for edits and deletes

    def write(self, hub: WireHub, rng: random.Random) -> Request:
        """Send a message, or now and then edit or delete one of the writer's own."""
        self.writes_left -= 1
        busy = {request.message_id for request in self.in_flight}
        alive = [message for message in self.own if not message["removed"] and message["id"] not in busy]
        roll = rng.random()
        if alive and roll < 0.12:
            target = rng.choice(alive)
            if roll < 0.04:
                return self._track(self._delete(hub, target["id"]))
            return self._track(self._edit(hub, target["id"], f"edited {uuid.uuid4().hex[:8]}"))
        conversation_id = rng.choice(self.conversations)
        return self._track(self._send(hub, conversation_id, f"from {self.user.username} {uuid.uuid4().hex[:8]}",
                                      f"w-{uuid.uuid4().hex}"))

    def _track(self, request: Request) -> Request:
        self.in_flight.append(request)
        return request

    def settle(self) -> None:
        """Forget answered requests; remember what they stored."""
        for request in [request for request in self.in_flight if request.answered or request.lost]:
            self.in_flight.remove(request)
            stored = request.result
            if stored is not None:
                self.own = [message for message in self.own if message["id"] != stored["id"]] + [stored]

    def _send(self, hub: WireHub, conversation_id: int, body: str, client_id: str) -> Request:
        if self.over_rest:
            return hub.call(self.server_url, "POST", f"/conversations/{conversation_id}/messages", self.user.token,
                            {"body": body, "client_id": client_id}, client_id=client_id)
        return self.socket.emit("message:send", {"conversation_id": conversation_id, "body": body,
                                                 "client_id": client_id}, client_id=client_id)

    def _edit(self, hub: WireHub, message_id: int, body: str) -> Request:
        if self.over_rest:
            return hub.call(self.server_url, "PATCH", f"/messages/{message_id}", self.user.token, {"body": body},
                            message_id=message_id)
        return self.socket.emit("message:edit", {"message_id": message_id, "body": body}, message_id=message_id)

    def _delete(self, hub: WireHub, message_id: int) -> Request:
        if self.over_rest:
            return hub.call(self.server_url, "DELETE", f"/messages/{message_id}", self.user.token,
                            message_id=message_id)
        return self.socket.emit("message:delete", {"message_id": message_id}, message_id=message_id)


def run_writers(hub: WireHub, writers: list[Writer], rng: random.Random, in_flight: int = 2,
                timeout: float = 120) -> list[Request]:
    """Let every writer keep up to `in_flight` writes going until all are answered; every request made."""
    made: list[Request] = []
    deadline = time.monotonic() + timeout
    while True:
        for writer in writers:
            writer.settle()
            while writer.writes_left > 0 and len(writer.in_flight) < in_flight:
                made.append(writer.write(hub, rng))
        if not any(writer.writes_left or writer.in_flight for writer in writers):
            return made
        if time.monotonic() > deadline:
            raise TimeoutError(f"{sum(len(writer.in_flight) for writer in writers)} writes still unanswered")
        hub.pump_once()


@dataclass
class Changes:
    """What the answers say was stored: conversation -> revision -> message id."""

    by_conversation: dict[int, dict[int, int]]

    @classmethod
    def from_answers(cls, requests: list[Request]) -> Changes:
        by_conversation: dict[int, dict[int, int]] = defaultdict(dict)
        for request in requests:
            stored = request.result
            if stored is not None and not request.answer.get("duplicate"):
                revisions = by_conversation[stored["conversation_id"]]
                assert stored["revision"] not in revisions, f"revision {stored['revision']} answered twice"
                revisions[stored["revision"]] = stored["id"]
        return cls(dict(by_conversation))

    def final(self, conversation_id: int) -> int:
        return max(self.by_conversation.get(conversation_id, {0: 0}))


def wait_for_final_revisions(hub: WireHub, sockets: dict[WireSocket, list[int]], changes: Changes,
                             timeout: float = 30) -> None:
    """Until every connection has the newest change of each of its conversations."""
    def arrived() -> bool:
        return all(wire.newest.get(conversation_id, 0) >= changes.final(conversation_id)
                   for wire, conversation_ids in sockets.items() for conversation_id in conversation_ids)

    hub.pump(until=arrived, timeout=timeout, what="the newest change at every connection")


@dataclass
class AnswerOrder:
    checked: int = 0  # events whose cause was found and checked
    caused_over_rest: int = 0  # of them, events of a REST call's change
    late: list[str] = field(default_factory=list)  # events read before the answer to the write that caused them


def answer_order(hub: WireHub, requests: list[Request]) -> AnswerOrder:
    """Was every message event read only once its cause's answer had been read?"""
    cause = {(request.result["id"], request.result["revision"]): request for request in requests
             if request.result is not None and not request.answer.get("duplicate")}
    report = AnswerOrder()
    for frame in hub.frames:
        if frame.kind != "event" or frame.name not in MESSAGE_EVENTS:
            continue
        message = frame.payload["message"]
        request = cause.get((message["id"], message["revision"]))
        if request is None:
            continue
        report.checked += 1
        report.caused_over_rest += isinstance(request.channel, RestCall)
        if request.answered_index > frame.checked_index:
            report.late.append(f"{frame.name} {message['id']}@{message['revision']} on {frame.connection} "
                               f"(frame {frame.index}) before the answer to {request.event} "
                               f"(frame {request.answered_index})")
    return report


def answers_not_waited_for(servers) -> list[str]:
    """The servers' log lines for answers whose change left before them (realtime.answer_first: a client
    that did not read for 0.2 s, a worker 5 s behind): the only way an event may come before its answer."""
    return [line for server in servers for line in server.log_text().splitlines() if "not written after" in line]


def message_frames(wire: WireSocket, conversation_id: int) -> list[Frame]:
    return [frame for frame in wire.events(*MESSAGE_EVENTS)
            if frame.payload["message"]["conversation_id"] == conversation_id]


@dataclass
class OrderReport:
    frames: int = 0
    out_of_order: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # neither received nor superseded by a later revision received
    superseded: int = 0  # skipped revisions whose message came later, at a higher revision
    doubled: list[str] = field(default_factory=list)  # message:new twice for one message


def revision_order(sockets: dict[WireSocket, list[int]], changes: Changes) -> OrderReport:
    """Per connection and conversation: revisions strictly increasing, none lost."""
    report = OrderReport()
    for wire, conversation_ids in sockets.items():
        for conversation_id in conversation_ids:
            frames = message_frames(wire, conversation_id)
            report.frames += len(frames)
            revisions = [frame.payload["message"]["revision"] for frame in frames]
            for before, after in zip(revisions, revisions[1:], strict=False):
                if after <= before:
                    report.out_of_order.append(f"{wire.name} conversation {conversation_id}: {before} then {after}")
            newest_of = defaultdict(int)
            for frame in frames:
                message = frame.payload["message"]
                newest_of[message["id"]] = max(newest_of[message["id"]], message["revision"])
            received = set(revisions)
            for revision, message_id in changes.by_conversation.get(conversation_id, {}).items():
                if revision in received:
                    continue
                if newest_of.get(message_id, 0) > revision:
                    report.superseded += 1
                else:
                    report.missing.append(f"{wire.name} conversation {conversation_id} revision {revision}")
            news = Counter(frame.payload["message"]["id"] for frame in frames if frame.name == "message:new")
            report.doubled += [f"{wire.name} message {mid} x{count}" for mid, count in news.items() if count > 1]
    return report


def live_state(wire: WireSocket, conversation_id: int) -> dict[int, tuple]:
    """The conversation as a client that applied the live events (newest revision per message) holds it."""
    state: dict[int, dict] = {}
    for frame in message_frames(wire, conversation_id):
        message = frame.payload["message"]
        if message["id"] not in state or state[message["id"]]["revision"] < message["revision"]:
            state[message["id"]] = message
    return snapshot(state.values())


def snapshot(messages) -> dict[int, tuple]:
    return {message["id"]: tuple(message[name] for name in FIELDS) for message in messages}
