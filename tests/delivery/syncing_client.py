"""A chat client as docs/protocol.md describes it, over the raw wire (tests.wire_client): it
keeps every conversation's messages, catches up with the resync rule, reconnects, and retries
its sends with the same client_id until one is acknowledged.

The resync rule: per conversation, a contiguous revision watermark (every change up to it is
applied; static/js/chat/watermark.js is the page's copy). After a (re)connect the client asks
`sync` for the changes since each watermark, page after page; when a change above the
watermark is known while one below it is missing (a gap), it asks the same a little later,
unless the missing change arrives by then.
"""
from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field

from tests.servers import ChatUser, LiveServer
from tests.wire_client import Request, WireHub, WireSocket

GAP_SECONDS = 0.3  # a skipped revision often arrives by itself meanwhile (the server reorders for 0.25 s)
RECONNECT_SECONDS = (0.05, 0.3)


class RevisionWatermark:
    """Every revision up to `watermark` is applied; never "the highest revision seen"."""

    def __init__(self) -> None:
        self.watermark = 0
        self.applied_above: set[int] = set()
        self.newest_known = 0

    def note_applied(self, revision: int) -> None:
        self.newest_known = max(self.newest_known, revision)
        if revision > self.watermark:
            self.applied_above.add(revision)
        self._roll_forward()

    def covered_up_to(self, revision: int) -> None:
        """A changes answer: every change up to `revision` is in it or was before its cursor."""
        self.newest_known = max(self.newest_known, revision)
        self.watermark = max(self.watermark, revision)
        self._roll_forward()

    @property
    def has_gap(self) -> bool:
        return self.newest_known > self.watermark

    def _roll_forward(self) -> None:
        self.applied_above = {revision for revision in self.applied_above if revision > self.watermark}
        while self.watermark + 1 in self.applied_above:
            self.watermark += 1
            self.applied_above.discard(self.watermark)


@dataclass
class PendingSend:
    """A message not acknowledged yet: sent again, with the same client_id, after each reconnect."""

    client_id: str
    conversation_id: int
    body: str
    request: Request | None = None
    attempts: int = 0
    known_stored: bool = False  # seen stored (by this client or another) before an attempt went out
    retried_when_known_stored: bool = False


@dataclass
class Tally:
    sends: int = 0
    acknowledged: int = 0
    retries: int = 0
    duplicates: int = 0
    retries_after_commit: int = 0
    retries_after_commit_not_duplicate: list[str] = field(default_factory=list)
    edits: int = 0
    deletes: int = 0
    connects: int = 0
    syncs: int = 0
    gap_syncs: int = 0
    status_syncs: int = 0  # syncs because the server said delivery is "ok" again (delivery_status)
    out_of_order: list[str] = field(default_factory=list)


class SyncingClient:
    """One user's app: one connection at a time, to any server that is up."""

    def __init__(self, hub: WireHub, user: ChatUser, conversation_ids: list[int], rng: random.Random,
                 tally: Tally) -> None:
        self.hub, self.user, self.rng, self.tally = hub, user, rng, tally
        self.conversation_ids = conversation_ids
        self.messages: dict[int, dict[int, dict]] = {conversation_id: {} for conversation_id in conversation_ids}
        self.watermarks = {conversation_id: RevisionWatermark() for conversation_id in conversation_ids}
        self.seen_client_ids: dict[str, int] = {}  # own client_id -> message id, however it was learnt
        self.others_seen: set[str] = set()  # client_ids of other members' messages this client has
        self.acknowledged: dict[str, dict] = {}  # client_id -> the message its ack carried
        self.pending: dict[str, PendingSend] = {}
        self.edits_in_flight: list[Request] = []
        self.connection: WireSocket | None = None
        self.read_upto = 0
        self.live_revisions: dict[int, int] = {}  # this connection's newest live revision per conversation
        self.reconnect_at = 0.0
        self.sync_request: Request | None = None
        self.sync_again = False
        self.gap_since: dict[int, float] = {}
        self.delivery_states: list[str] = []  # every delivery_status received, in order

    # -- the connection ------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self.connection is not None and self.connection.connected

    def connect(self, servers: list[LiveServer]) -> bool:
        server = self.rng.choice(servers)
        try:
            self.connection = self.hub.connect(server.url, self.user.token, f"{self.user.username}@{server.port}")
        except Exception:  # noqa: BLE001  (its worker died meanwhile: try again soon)
            self.reconnect_at = time.monotonic() + self.rng.uniform(*RECONNECT_SECONDS)
            return False
        self.tally.connects += 1
        self.read_upto, self.live_revisions = 0, {}
        self.sync_request, self.sync_again = None, False
        self.sync(self.conversation_ids)
        for pending in self.pending.values():
            self._send(pending)
        return True

    def kill(self) -> None:
        """The app's network goes away at once."""
        if self.connected:
            self.connection.kill()

    def step(self, servers_up: list[LiveServer], writing: bool, in_flight: int = 2) -> None:
        """Take in what arrived, reconnect or catch up if needed, and maybe write something."""
        if self.connection is not None:
            self._take_frames()
            self._answers()
        if not self.connected:
            if servers_up and time.monotonic() >= self.reconnect_at:
                if self.connection is not None:  # just lost: wait a moment, as a real client backs off
                    self.connection = None
                    self.reconnect_at = time.monotonic() + self.rng.uniform(*RECONNECT_SECONDS)
                    return
                self.connect(servers_up)
            return
        self._check_gaps()
        busy = sum(1 for pending in self.pending.values() if pending.request and not pending.request.lost)
        if writing and busy + len(self.edits_in_flight) < in_flight:
            self.write()

    # -- writing -------------------------------------------------------------------------------

    def write(self) -> None:
        changing = {request.message_id for request in self.edits_in_flight}
        own = [message for conversation in self.messages.values() for message in conversation.values()
               if message["sender"] and message["sender"]["id"] == self.user.id and not message["removed"]
               and message["id"] not in changing]
        roll = self.rng.random()
        if own and roll < 0.15:
            target = self.rng.choice(own)
            if roll < 0.05:
                self.tally.deletes += 1
                request = self.connection.emit("message:delete", {"message_id": target["id"]},
                                               message_id=target["id"])
            else:
                self.tally.edits += 1
                request = self.connection.emit("message:edit", {"message_id": target["id"],
                                                                "body": f"edited {uuid.uuid4().hex[:6]}"},
                                               message_id=target["id"])
            self.edits_in_flight.append(request)
            return
        self.send(self.rng.choice(self.conversation_ids), f"{self.user.username} {uuid.uuid4().hex[:8]}")

    def send(self, conversation_id: int, body: str) -> PendingSend:
        """Send a new message now, or at the next connect."""
        pending = PendingSend(f"c-{uuid.uuid4().hex}", conversation_id, body)
        self.pending[pending.client_id] = pending
        self.tally.sends += 1
        if self.connected:
            self._send(pending)
        return pending

    def _send(self, pending: PendingSend) -> None:
        if pending.attempts:
            self.tally.retries += 1
            pending.retried_when_known_stored = pending.known_stored or pending.client_id in self.seen_client_ids
        pending.attempts += 1
        pending.request = self.connection.emit(
            "message:send", {"conversation_id": pending.conversation_id, "body": pending.body,
                             "client_id": pending.client_id}, client_id=pending.client_id)

    # -- what arrives --------------------------------------------------------------------------

    def _take_frames(self) -> None:
        frames = self.connection.frames
        for frame in frames[self.read_upto:]:
            if frame.kind == "event" and frame.name in ("message:new", "message:updated"):
                message = frame.payload["message"]
                conversation_id, revision = message["conversation_id"], message["revision"]
                if revision <= self.live_revisions.get(conversation_id, 0):
                    self.tally.out_of_order.append(f"{frame.connection}: conversation {conversation_id} "
                                                   f"{self.live_revisions[conversation_id]} then {revision}")
                self.live_revisions[conversation_id] = revision
                self.apply(message)
            elif frame.kind == "event" and frame.name == "delivery_status":
                # docs/protocol.md: live delivery was degraded; once it is "ok" again, catch up at once.
                self.delivery_states.append(frame.payload["state"])
                if frame.payload["state"] == "ok":
                    self.tally.status_syncs += 1
                    self.sync(self.conversation_ids)
        self.read_upto = len(frames)

    def _answers(self) -> None:
        for pending in list(self.pending.values()):
            request = pending.request
            if request is None or not request.answered:
                continue
            assert request.answer["ok"], request.answer
            message = request.answer["message"]
            self.tally.acknowledged += 1
            if request.answer["duplicate"]:
                self.tally.duplicates += 1
            if pending.retried_when_known_stored:
                self.tally.retries_after_commit += 1
                if not request.answer["duplicate"]:
                    self.tally.retries_after_commit_not_duplicate.append(pending.client_id)
            self.acknowledged[pending.client_id] = message
            del self.pending[pending.client_id]
            self.apply(message)
        for request in [request for request in self.edits_in_flight if request.answered or request.lost]:
            self.edits_in_flight.remove(request)
            if request.answered and request.answer["ok"]:
                self.apply(request.answer["message"])
        if self.sync_request is not None and self.sync_request.answered:
            self._synced(self.sync_request)

    def apply(self, message: dict) -> None:
        """Keep the newest revision of each message; the change at that revision is applied."""
        conversation = self.messages[message["conversation_id"]]
        known = conversation.get(message["id"])
        if known is None or known["revision"] < message["revision"]:
            conversation[message["id"]] = message
        self.watermarks[message["conversation_id"]].note_applied(message["revision"])
        if message["sender"] and message["sender"]["id"] == self.user.id and message["client_id"]:
            self.seen_client_ids[message["client_id"]] = message["id"]
        elif message["client_id"]:
            self.others_seen.add(message["client_id"])

    # -- catching up ---------------------------------------------------------------------------

    def sync(self, conversation_ids: list[int]) -> None:
        if not self.connected:
            return  # the next connect syncs every conversation
        if self.sync_request is not None:
            self.sync_again = True
            return
        self.tally.syncs += 1
        cursors = [{"conversation_id": conversation_id, "since": self.watermarks[conversation_id].watermark}
                   for conversation_id in conversation_ids]
        self.sync_request = self.connection.emit("sync", {"conversations": cursors, "limit": 100})

    def _synced(self, request: Request) -> None:
        self.sync_request = None
        assert request.answer["ok"], request.answer
        more = []
        for result in request.answer["conversations"]:
            assert "error" not in result, result
            for message in result["messages"]:
                self.apply(message)
            self.watermarks[result["conversation_id"]].covered_up_to(result["revision"])
            if result["has_more"]:
                more.append(result["conversation_id"])
        if self.sync_again:
            self.sync_again = False
            more = self.conversation_ids
        if more:
            self.sync(more)

    def _check_gaps(self) -> None:
        now = time.monotonic()
        for conversation_id, watermark in self.watermarks.items():
            if not watermark.has_gap:
                self.gap_since.pop(conversation_id, None)
            elif conversation_id not in self.gap_since:
                self.gap_since[conversation_id] = now
            elif now - self.gap_since[conversation_id] > GAP_SECONDS and self.sync_request is None:
                self.tally.gap_syncs += 1
                del self.gap_since[conversation_id]
                self.sync([conversation_id])

    def settled_writes(self) -> bool:
        """Connected, and every write answered."""
        return self.connected and not self.pending and not self.edits_in_flight

    def settled(self, final_revisions: dict[int, int]) -> bool:
        """Connected, nothing unacknowledged, and every change up to the final ones applied."""
        return (self.settled_writes() and self.sync_request is None
                and all(self.watermarks[conversation_id].watermark == final_revisions[conversation_id]
                        for conversation_id in self.conversation_ids))
