"""The Socket.IO adapter: committed facts become Socket.IO frames, delivered to rooms.

Rooms: `user:<id>` holds every live socket of one user (all tabs and devices);
`conversation:<id>` the sockets of every member of a conversation; `token:<id>` and
`session:<id>` the sockets opened with one API token or one login session (blueprints.identity).
A conversation's members are resolved by its room.

`prepare` renders the frames inside the committing transaction (payloads.py is the wire
format); `deliver` publishes them on the bus (realtime.bus) once committed. Every process
receives them (`SocketDelivery.receive`) and applies them to its own sockets: emits to a
room, and room commands (join, leave, disconnect every socket of a user or token), which
is how membership changes and revocations reach sockets on other machines. Message
frames carry their (conversation, revision) and pass through realtime.ordering first.
"""
from __future__ import annotations

import threading
import time

from flask import Flask
from socketio import Server as SocketIOServer

from actions.presence import PresenceView
from events import facts as f
from extensions import db, socketio
from models import Conversation, Membership, Message, User
from models.time import isoformat
from offload import gevent_patched
from payloads import (
    conversation_payload,
    member_payload,
    message_payload,
    presence_entry_payload,
    profile_payload,
    user_payload,
)
from realtime import QR_LOGIN_NAMESPACE, conversation_room, room_kind_and_id, session_room, token_room, user_room
from realtime.bus import LocalBus, RedisBus
from realtime.contact_frames import FACTS as CONTACT_FACTS
from realtime.contact_frames import contact_frames
from realtime.deliveries import BusAdapter, Deliveries, read_revisions
from realtime.direct_writes import write_directly
from realtime.engineio_pings import ping_from_one_loop
from realtime.held_elsewhere import RedisHolds
from realtime.long_polling import cap_long_polling
from realtime.ordering import RevisionOrder
from realtime.presence import init_presence
from realtime.reconcile import Correction, LiveConnection, OneAtATime, RoomChanges, reconcile
from realtime.websocket_compression import compress_websockets
from realtime.websocket_frames import write_whole_frames
from realtime.websocket_reader import read_inline, refuse_plain_requests

NAMESPACE = "/"
DELIVERY_STATUS = "delivery_status"


def emit_frame(event: str, data: dict, room: str | list[str], order: tuple[int, int] | None = None,
               namespace: str | None = None, skip: list[str] | None = None) -> dict:
    frame = {"emit": event, "data": data, "room": room}
    if skip:  # the sockets in these rooms are left out of `room`'s
        frame["skip"] = skip
    if order is not None:
        frame["order"] = list(order)
    if namespace is not None:  # another namespace than the chat's (the QR login page's)
        frame["namespace"] = namespace
    return frame


def room_command(action: str, target: str, room: str | None = None) -> dict:
    """join|leave: every socket in `target` enters or leaves `room`; disconnect: they are cut."""
    return {"command": action, "target": target, "room": room}


class SocketIOAdapter(BusAdapter):
    def _render(self, fact: f.Fact) -> list[dict]:
        if isinstance(fact, f.MessageCreated | f.MessageChanged):
            message = db.session.get(Message, fact.message_id)
            if message is None:  # deleted with its conversation in the same unit: its members hear that instead
                return []
            event = "message:new" if isinstance(fact, f.MessageCreated) else "message:updated"
            return [message_frame(event, message, fact.revision)]
        if isinstance(fact, f.ConversationRead):
            return [emit_frame("conversation:read", {"conversation_id": fact.conversation_id,
                                                     "last_read_seq": fact.last_read_seq}, _room_of(fact))]
        if isinstance(fact, f.ConversationMuted):
            return [emit_frame("conversation:muted", {"conversation_id": fact.conversation_id,
                                                      "muted": fact.muted}, _room_of(fact))]
        if isinstance(fact, f.ReceiptFact):  # ticks; read null where the reader hides it
            receipt = {"conversation_id": fact.conversation_id, "user_id": fact.user_id,
                       "last_delivered_seq": fact.last_delivered_seq}
            return [emit_frame("conversation:receipt", {**receipt, "last_read_seq": read}, [user_room(u) for u in to])
                    for read, to in ((fact.last_read_seq, fact.read_visible_to), (None, fact.read_hidden_from)) if to]
        if isinstance(fact, f.ConversationJoined):
            return [room_command("join", user_room(fact.user_id), conversation_room(fact.conversation_id)),
                    emit_frame("conversation:added", {"conversation": _added_payload(fact)}, _room_of(fact))]
        if isinstance(fact, f.ConversationLeft):
            return [room_command("leave", user_room(fact.user_id), conversation_room(fact.conversation_id)),
                    emit_frame("conversation:removed", {"conversation_id": fact.conversation_id,
                                                        "reason": fact.reason}, _room_of(fact))]
        if isinstance(fact, f.ConversationUpdated):
            conversation = db.session.get(Conversation, fact.conversation_id)
            if conversation is None:
                return []
            return [emit_frame("conversation:updated", {"conversation": conversation_payload(conversation)},
                               _room_of(fact))]
        if isinstance(fact, f.MemberJoined | f.MemberRoleChanged):
            event = "member:joined" if isinstance(fact, f.MemberJoined) else "member:updated"
            return [emit_frame(event, {"conversation_id": fact.conversation_id,
                                       "member": member_payload(_membership(fact.conversation_id, fact.user_id))},
                               _room_of(fact))]
        if isinstance(fact, f.MemberAccountChanged):
            membership = db.session.execute(db.select(Membership).where(
                Membership.conversation_id == fact.conversation_id, Membership.user_id == fact.user_id)
            ).scalar_one_or_none()
            if membership is None:  # left or removed since: member:left told them
                return []
            return [emit_frame("member:updated", {"conversation_id": fact.conversation_id,
                                                  "member": member_payload(membership)}, _room_of(fact))]
        if isinstance(fact, f.MemberLeft):
            return [emit_frame("member:left", {"conversation_id": fact.conversation_id, "user_id": fact.user_id,
                                               "reason": fact.reason}, _room_of(fact))]
        if isinstance(fact, f.UserSessionsRevoked):
            return [room_command("disconnect", user_room(fact.user_id))]
        if isinstance(fact, f.TokenRevoked):
            return [room_command("disconnect", token_room(fact.token_id))]
        if isinstance(fact, f.SessionEnded):  # the page shows why before it is cut (docs/protocol.md)
            return [emit_frame("session:ended", {"reason": fact.reason, **_suspension(fact)},
                               session_room(fact.session_id)),
                    room_command("disconnect", session_room(fact.session_id))]
        if isinstance(fact, f.SignedInElsewhere):  # the pages' sessions end by their own SessionEnded
            return []
        if isinstance(fact, f.ProfileChanged):
            # One frame to every recipient's room: a person in several shared conversations gets it once.
            user = db.session.get(User, fact.user_id)
            hidden = set(fact.about_hidden_from)  # people the user blocked: no status line or time zone
            return [emit_frame("user:updated", {"user": profile_payload(user, about_hidden=about_hidden)},
                               [user_room(user_id) for user_id in to])
                    for about_hidden, to in ((False, [u for u in fact.recipients.user_ids if u not in hidden]),
                                             (True, sorted(hidden))) if to]
        if isinstance(fact, CONTACT_FACTS):
            return contact_frames(fact)
        if isinstance(fact, f.TypingChanged):  # the typist's own sockets get it too: they skip their own id
            return [emit_frame("typing", {"conversation_id": fact.conversation_id, "user_id": fact.user_id,
                                          "typing": fact.typing}, conversation_room(fact.conversation_id),
                               skip=[user_room(user_id) for user_id in fact.not_to])]
        if isinstance(fact, f.PresenceBatch):
            return presence_batch_frames(fact)
        if isinstance(fact, f.QrLoginAnswered):
            # Each socket is in a room named by its id: only the process holding it emits.
            return [emit_frame(f"qr:{fact.outcome}", {}, fact.socket_id, namespace=QR_LOGIN_NAMESPACE)]
        raise TypeError(f"the Socket.IO adapter does not know {type(fact).__name__}")


def presence_batch_frames(fact: f.PresenceBatch) -> list[dict]:
    """One `presence:batch` frame per viewer, with the changes it may see (docs/protocol.md)."""
    online = dict(fact.changes)
    last_seen = dict(db.session.execute(db.select(User.id, User.last_seen_at).where(User.id.in_(online))).all())
    entries = {user_id: presence_entry_payload(user_id, PresenceView(visible=True, online=online[user_id],
                                                                     last_seen_at=last_seen.get(user_id)))
               for user_id in online}
    return [emit_frame("presence:batch", {"users": [entries[user_id] for user_id in seen]}, user_room(viewer))
            for viewer, seen in fact.views]


def _room_of(fact: f.Fact) -> str:
    """The room that holds a fact's recipients: a conversation's members, or one user's sockets."""
    recipients = fact.recipients
    if recipients.conversation_id is not None:
        return conversation_room(recipients.conversation_id)
    (user_id,) = recipients.user_ids
    return user_room(user_id)


def message_frame(event: str, message: Message, revision: int) -> dict:
    return emit_frame(event, {"message": message_payload(message)}, conversation_room(message.conversation_id),
                      order=(message.conversation_id, revision))


def _membership(conversation_id: int, user_id: int) -> Membership:
    return db.session.execute(
        db.select(Membership).where(Membership.conversation_id == conversation_id, Membership.user_id == user_id)
    ).scalar_one()


def _added_payload(fact: f.ConversationJoined) -> dict:
    conversation = db.session.get(Conversation, fact.conversation_id)
    membership = _membership(fact.conversation_id, fact.user_id)
    peer = None
    if not conversation.is_group and not conversation.name:  # a direct chat is titled with the other person
        peer = db.session.execute(
            db.select(User).join(Membership, Membership.user_id == User.id)
            .where(Membership.conversation_id == conversation.id, Membership.user_id != fact.user_id)
        ).scalar_one_or_none()
    payload = conversation_payload(conversation, membership, title=peer.display_name if peer else None)
    if peer is not None:
        payload["peer"] = user_payload(peer)
    return payload


class SocketDelivery:
    """The receiving end in every process: applies frames to the sockets this process holds."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        # The server's own background tasks and sleep (greenlets under gevent), for whoever
        # feeds this delivery from elsewhere (jobs.relay).
        self.start_background_task = socketio.start_background_task
        self.sleep = socketio.sleep
        self.order = RevisionOrder(self._apply, self._read_missing, self.start_background_task, self.sleep,
                                   held=app.extensions["events"].unreleased.held_between)
        self.bus_state = "ok"
        self.room_changes = RoomChanges()  # the room commands applied (realtime.reconcile)
        self.reconcile_all = OneAtATime(self.reconcile)

    def bus_status_changed(self, state: str) -> None:
        """The bus lost Redis ("degraded") or has it again ("ok"): every socket of this process is told
        (`delivery_status`, docs/protocol.md), so that pages show it and resync once it is "ok"; then,
        the room changes and cuts of other processes having been missed meanwhile, the sockets are
        brought back in line with the database (realtime.reconcile)."""
        was, self.bus_state = self.bus_state, state
        server = socketio.server
        if server is not None:
            server.emit(DELIVERY_STATUS, {"state": state}, namespace=NAMESPACE)
            if was == "degraded" and state == "ok":
                self.room_changes.lost_anywhere()  # connects under way read again
                self.start_background_task(self.reconcile_all)

    def reconcile(self) -> int:
        """Every socket of this process cut if its credential no longer works, else in the rooms of
        exactly the conversations its user may read now. Returns how many were corrected."""
        server = socketio.server
        if server is None:
            return 0
        return reconcile(self.app, live_sockets(server), self.room_changes, self._correct, self.sleep,
                         "sockets")

    def _correct(self, live: LiveConnection, correction: Correction) -> bool:
        server, sid = socketio.server, live.connection
        if not server.manager.is_connected(sid, NAMESPACE):  # gone meanwhile, or still connecting (it reads again)
            return False
        if correction.cut:
            server.disconnect(sid, namespace=NAMESPACE)
            return True
        for conversation_id in correction.follow:
            server.enter_room(sid, conversation_room(conversation_id), namespace=NAMESPACE)
        for conversation_id in correction.unfollow:
            server.leave_room(sid, conversation_room(conversation_id), namespace=NAMESPACE)
        return True

    def receive(self, frames: list[dict]) -> None:
        self.order.receive(frames)

    def _apply(self, frame: dict) -> None:
        server = socketio.server
        if server is None:
            return
        if "emit" in frame:
            namespace = frame.get("namespace", NAMESPACE)
            if anyone_in(server, namespace, frame["room"]):
                skip = [sid for room in frame.get("skip", ()) for sid, _eio_sid in
                        server.manager.get_participants(namespace, room)]
                server.emit(frame["emit"], frame["data"], to=frame["room"], namespace=namespace, skip_sid=skip or None)
            return
        self.room_changes.applied(frame["target"])
        participants = list(server.manager.get_participants(NAMESPACE, frame["target"]))
        for sid, _eio_sid in participants:
            if frame["command"] == "join":
                server.enter_room(sid, frame["room"], namespace=NAMESPACE)
            elif frame["command"] == "leave":
                server.leave_room(sid, frame["room"], namespace=NAMESPACE)
            elif frame["command"] == "disconnect":
                server.disconnect(sid, namespace=NAMESPACE)

    def _read_missing(self, conversation_id: int, first: int, last: int) -> list[tuple[int, dict]]:
        return read_revisions(self.app, conversation_id, first, last, lambda message, changed: message_frame(
            "message:updated" if changed else "message:new", message, message.revision))


def live_sockets(server: SocketIOServer) -> list[LiveConnection]:
    """This process's chat sockets, each with its user, credential and conversations, from its rooms
    (every chat socket is in its user's room and its credential's: blueprints/chat/events.py)."""
    live = []
    for sid, _eio_sid in list(server.manager.get_participants(NAMESPACE, None)):
        user_id = method = credential = None
        conversations = set()
        for kind, value in filter(None, map(room_kind_and_id, server.manager.get_rooms(sid, NAMESPACE))):
            if kind == "conversation":
                conversations.add(value)
            elif kind == "user":
                user_id = value
            else:  # the credential it was opened with: "session" or "token"
                method, credential = kind, value
        if user_id is not None and method is not None:
            live.append(LiveConnection(sid, user_id, method, credential, frozenset(conversations)))
    return live


def anyone_in(server, namespace: str, room: str | list[str]) -> bool:
    """Whether a socket of this process is in `room` (or in one of the rooms). Every process receives
    every frame published by any of them (realtime.bus), mostly for rooms it has nobody in, and
    python-socketio encodes a frame (its whole payload as JSON) before it looks for recipients."""
    rooms = server.manager.rooms.get(namespace)
    if not rooms:
        return False
    return room in rooms if isinstance(room, str) else any(name in rooms for name in room)


def init_realtime(app: Flask) -> None:
    """Register the Socket.IO adapter with the app's dispatcher, over Redis when configured (with
    the revisions held for an answer kept there too: realtime.held_elsewhere), the presence store
    its sockets keep, whole websocket frames (realtime.websocket_frames), their compression
    (realtime.websocket_compression), packets written at once to idle websockets
    (realtime.direct_writes), one greenlet per websocket and plain requests to the websocket
    transport refused as broken handshakes are (realtime.websocket_reader), Engine.IO pings from one
    loop (realtime.engineio_pings), and long-polling answers python-engineio's client accepts and posts
    of up to 1,000 packets (realtime.long_polling)."""
    delivery = SocketDelivery(app)
    # Frames without a `to` are Socket.IO's; other adapters add their own delivery (gateway.init_gateway).
    deliveries = Deliveries(delivery.receive, socketio.start_background_task, socketio.sleep)
    deliveries.on_status(delivery.bus_status_changed)
    url = app.config["SOCKETIO_MESSAGE_QUEUE"]
    if url:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise RuntimeError("SOCKETIO_MESSAGE_QUEUE must be a redis:// URL (or empty for in-process)")
        # Gevent's loop runs only where wsgi.py patched the process (the web worker). The job consumer
        # builds the app unpatched: a greenlet spawned there never ran (a publication per turn, the probe
        # that finds Redis again after an outage), so there the bus publishes at once and uses threads.
        on_loop = app.config["SOCKETIO_ASYNC_MODE"] != "gevent" or gevent_patched()
        bus = RedisBus(url, deliveries.receive,
                       socketio.start_background_task if on_loop else _start_thread,
                       socketio.sleep if on_loop else time.sleep,
                       on_status=deliveries.bus_status_changed,
                       per_turn=app.config["SOCKETIO_ASYNC_MODE"] == "gevent" and on_loop)
        app.extensions["events"].unreleased.elsewhere = RedisHolds(url)
    else:
        bus = LocalBus(deliveries.receive)
    app.extensions["socketio_delivery"] = delivery
    app.extensions["realtime_deliveries"] = deliveries
    app.extensions["events"].register(SocketIOAdapter(bus))
    app.extensions["realtime_bus"] = bus
    init_presence(app, socketio.start_background_task, socketio.sleep)
    write_whole_frames()
    compress_websockets(app.config["WEBSOCKET_COMPRESSION"])
    write_directly(socketio.server)
    read_inline()
    refuse_plain_requests(socketio.server.eio)
    ping_from_one_loop()
    cap_long_polling()


def still_open(sid: str) -> bool:
    """Whether the client of a socket that is connecting is still there: python-socketio lets a
    client that drops while its connect handler runs be (it is not connected yet), and would then
    make it connected all the same, with nobody to say goodbye."""
    server = socketio.server
    eio_sid = server.manager.eio_sid_from_sid(sid, NAMESPACE)
    return eio_sid is not None and eio_sid in server.environ  # python-socketio forgets it once the client left


def room_changes_of(app: Flask) -> RoomChanges:
    """The room commands this process has applied: a socket's connect reads its user's rooms again
    when one aimed at its rooms was applied while it read them (realtime.reconcile's rule)."""
    return app.extensions["socketio_delivery"].room_changes


def start_receiving(app: Flask) -> None:
    """Called by the socket server on connect: this process now has sockets to deliver to."""
    app.extensions["realtime_bus"].start_receiving()


def _start_thread(target, *args, **kwargs) -> threading.Thread:
    """A background task where gevent's loop does not run (the job consumer): a daemon thread."""
    thread = threading.Thread(target=target, args=args, kwargs=kwargs, daemon=True)
    thread.start()
    return thread


def tell_delivery_status(app: Flask, sid: str) -> None:
    """A socket that connects while the bus is degraded is told so, once its connection is answered."""
    delivery: SocketDelivery = app.extensions["socketio_delivery"]
    if delivery.bus_state == "ok":
        return

    def tell() -> None:
        socketio.server.emit(DELIVERY_STATUS, {"state": delivery.bus_state}, to=sid, namespace=NAMESPACE)

    socketio.start_background_task(tell)


def _suspension(fact: f.SessionEnded) -> dict:
    """A suspension's end and the operator's reason, which the page shows (read in the transaction that
    suspended the account, just before its commit: events.dispatch `prepare`)."""
    if fact.reason != "suspended":
        return {}
    user = db.session.get(User, fact.user_id)
    if user is None or user.suspended_until is None:
        return {}
    return {"until": isoformat(user.suspended_until), "message": user.suspension_reason}
