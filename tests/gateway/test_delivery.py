"""gateway.delivery: frames applied to this process's connections, in revision order per
conversation (a gap is read from the database), once each, and only to those who follow."""
from __future__ import annotations

import re
import threading
import time
import uuid
from pathlib import Path

from actions.accounts import issue_api_token
from actions.groups import add_member, remove_member
from actions.messages import send_message
from actions.sessions import revoke_own_token
from events.facts import SignedInElsewhere
from extensions import db
from gateway.adapter import GatewayAdapter, message_frame
from gateway.delivery import CLOSE_REASONS, GatewayDelivery
from models import User
from models.time import utcnow
from tests.factories import make_group
from tests.gateway.client import MESSAGE, PUSH, parse
from tests.servers import wait_for


class RecordingConnection:
    """What the delivery sees of a connection: its user, what it follows, what is pushed to it."""

    def __init__(self, user_id: int, token_id: int = 1, answered: tuple[int, ...] = (), logged_in_at: float = 0.0,
                 connection_id: str = "") -> None:
        self.user_id, self.token_id = user_id, token_id
        self.id, self.logged_in_at = connection_id or uuid.uuid4().hex, logged_in_at
        self.conversations: set[int] = set()
        self.answered = set(answered)
        self.packets: list[tuple[int, dict]] = []
        self.closed_with: tuple[int, str] | None = None

    @property
    def closing(self) -> bool:
        return self.closed_with is not None

    def push(self, packet: bytes) -> None:
        self.packets.append(parse(packet))

    def was_answered(self, message_id: int) -> bool:
        return message_id in self.answered

    def close(self, code: int, reason: str) -> None:
        self.closed_with = (code, reason)


def delivery_of(app) -> GatewayDelivery:
    return GatewayDelivery(app, lambda task, *args: threading.Thread(target=task, args=args, daemon=True).start(),
                           time.sleep)


def test_messages_in_revision_order_with_a_gap_read_from_the_database(app, alice, bob, carol):
    group = make_group(alice, "Ordered", [bob])
    messages = [send_message(alice, group.id, f"m{index}").message for index in range(4)]
    frames = [message_frame(message, message.revision, created=True) for message in messages]
    delivery = delivery_of(app)
    member, outsider = RecordingConnection(bob.id), RecordingConnection(carol.id)
    sender = RecordingConnection(alice.id, answered=(messages[3].id,))
    for connection, followed in ((member, [group.id]), (sender, [group.id]), (outsider, [])):
        delivery.open.add(connection)
        delivery.connections.add(connection, followed)

    delivery.receive([frames[0]])
    delivery.receive([frames[3], frames[2]])  # revision 2 never arrives: read after the wait
    wait_for(lambda: len(member.packets) == 4, what="the gap to be filled")

    assert [(command, body["content"]) for command, body in member.packets] == [
        (MESSAGE, "m0"), (MESSAGE, "m1"), (MESSAGE, "m2"), (MESSAGE, "m3")]
    assert [body["content"] for _, body in sender.packets] == ["m0", "m1", "m2"]  # m3 was its answer
    assert outsider.packets == []
    delivery.receive([frames[1]])  # late, and filled already: not twice
    assert len(member.packets) == 4


def test_membership_and_closes(app, alice, bob):
    group = make_group(alice, "Moving", [bob])
    delivery = delivery_of(app)
    phone, tablet = RecordingConnection(bob.id, token_id=7), RecordingConnection(bob.id, token_id=8)
    for connection in (phone, tablet):
        delivery.open.add(connection)
        delivery.connections.add(connection, [])
    delivery.receive([{"to": "gateway", "action": "follow", "user": bob.id, "conversation": group.id,
                       "body": {"type": "conversationAdded"}}])
    assert [c.conversations for c in (phone, tablet)] == [{group.id}, {group.id}]
    delivery.receive([{"to": "gateway", "action": "unfollow", "user": bob.id, "conversation": group.id,
                       "body": {"type": "conversationRemoved"}}])
    assert delivery.connections.following(group.id) == []
    delivery.receive([{"to": "gateway", "action": "close", "token": 8, "reason": "token_revoked"}])
    assert (phone.closed_with, tablet.closed_with) == (None, (1008, "token_revoked"))
    assert tablet.packets[-1] == (PUSH, {"type": "closed", "errorCode": "token_revoked",
                                         "errorMsg": "The token this connection logged in with was revoked."})


def test_signed_in_elsewhere_closes_the_users_other_connections_but_the_new_and_later_ones(app, alice, bob):
    """SESSION_POLICY=single (actions.sessions.end_other_logins): the fact, rendered by the adapter, closes
    the user's connections with the notice, except the one that logged in and any that logged in after
    the frame was made (two logins close together: the later stays); other users' are not touched."""
    older = RecordingConnection(bob.id, logged_in_at=time.time() - 60)
    new = RecordingConnection(bob.id, connection_id="the-new-one")
    someone_else = RecordingConnection(alice.id)
    (frame,) = GatewayAdapter(bus=None).prepare([SignedInElsewhere(bob.id, "the-new-one")])
    later = RecordingConnection(bob.id, logged_in_at=time.time() + 1)
    delivery = delivery_of(app)
    for connection in (older, new, someone_else, later):
        delivery.open.add(connection)
        delivery.connections.add(connection, [])
    delivery.receive([frame])
    assert older.closed_with == (1008, "signed_in_elsewhere")
    assert older.packets == [(PUSH, {"type": "closed", "errorCode": "signed_in_elsewhere",
                                     "errorMsg": CLOSE_REASONS["signed_in_elsewhere"]})]
    assert [(c.closed_with, c.packets) for c in (new, someone_else, later)] == [(None, [])] * 3
    # A page login keeps no gateway connection: all of them that logged in before it close.
    (frame,) = GatewayAdapter(bus=None).prepare([SignedInElsewhere(bob.id)])
    delivery.receive([frame])
    assert new.closed_with == (1008, "signed_in_elsewhere")
    assert someone_else.closed_with is None and later.closed_with is None


def test_a_process_without_gateway_connections_drops_the_frames_and_orders_afresh(app, alice, bob):
    group = make_group(alice, "Quiet", [bob])
    messages = [send_message(alice, group.id, f"m{index}").message for index in range(3)]
    frames = [message_frame(message, message.revision, created=True) for message in messages]
    delivery = delivery_of(app)
    delivery.receive(frames[:2])  # nobody here: not even kept in order
    late = RecordingConnection(bob.id)
    delivery.open.add(late)
    delivery.connections.add(late, [group.id])
    delivery.receive([frames[2]])  # its first frame here: delivered after the settling wait
    wait_for(lambda: late.packets, what="the frame")
    assert [body["content"] for _, body in late.packets] == ["m2"]  # not the two before it connected


def test_connections_are_told_when_live_delivery_is_degraded_and_back(app, alice):
    delivery = delivery_of(app)
    connection = RecordingConnection(alice.id, token_id=issue_api_token(alice).record.id)  # read again on "ok"
    delivery.open.add(connection)
    delivery.bus_status_changed("degraded")
    delivery.bus_status_changed("ok")
    assert connection.packets == [(PUSH, {"type": "deliveryStatus", "state": "degraded"}),
                                  (PUSH, {"type": "deliveryStatus", "state": "ok"})]

    app.extensions["realtime_deliveries"].bus_status_changed("degraded")  # what the bus calls (realtime.bus)
    assert app.extensions["gateway_delivery"].bus_state == app.extensions["socketio_delivery"].bus_state == "degraded"


def test_connections_are_corrected_once_the_bus_is_back(app, alice, bob):
    """What other processes published while the bus was degraded never came: on "ok" each connection
    is read again (realtime.reconcile): it follows what its user may read now, and one whose token was
    revoked meanwhile is closed."""
    left, joined = make_group(alice, "Left", [bob]), make_group(alice, "Joined")
    remove_member(alice, left.id, bob.id)
    add_member(alice, joined.id, bob.id)
    live, revoked = issue_api_token(bob), issue_api_token(bob)
    revoke_own_token(bob, revoked.record.id)
    delivery = delivery_of(app)
    phone, tablet = RecordingConnection(bob.id, live.record.id), RecordingConnection(bob.id, revoked.record.id)
    for connection in (phone, tablet):
        delivery.open.add(connection)
        delivery.connections.add(connection, [left.id])
    assert delivery.reconcile() == 2
    assert (phone.conversations, phone.closed_with, tablet.closed_with) == ({joined.id}, None, (1008, "unauthorized"))
    assert tablet.packets == [(PUSH, {"type": "closed", "errorCode": "unauthorized",
                                      "errorMsg": CLOSE_REASONS["unauthorized"]})]
    delivery.connections.remove(tablet)  # as a real connection's end does
    assert delivery.reconcile() == 0  # right now


def test_a_login_reads_again_when_a_follow_passed_it_by(app, alice, bob, monkeypatch):
    """A removal applied while a gateway login read its conversations (the connection not yet listed
    under its user) would pass it by: the login, seeing a room change applied meanwhile, has the
    connection read again once it is listed."""
    import gateway.commands
    from events.unit_of_work import atomic
    from gateway.connection import Connection

    group = make_group(alice, "Team", [bob])
    delivery = app.extensions["gateway_delivery"]
    connection = Connection.__new__(Connection)  # what login uses of one, without a socket
    connection.id, connection.user_id, connection.after_answer = uuid.uuid4().hex, None, []
    connection.conversations, connection._closing, connection.dead = set(), None, False
    delivery.open.add(connection)
    read = gateway.commands.list_readable_conversation_ids

    def removed_while_read(user_id):
        readable = read(user_id)
        with app.app_context():  # a unit of its own: its unfollow applied at once, to nobody listed
            remove_member(db.session.get(User, alice.id), group.id, bob.id)
        return readable

    issued = issue_api_token(bob)
    issued.record.last_used_at = utcnow()  # used a moment ago: the login writes nothing (no SQLite lock)
    db.session.commit()
    monkeypatch.setattr(gateway.commands, "list_readable_conversation_ids", removed_while_read)
    try:
        with app.test_request_context(), atomic():
            gateway.commands.login(connection, None, {"token": issued.token})
        wait_for(lambda: connection.conversations == set(), what="the connection read again")
    finally:
        delivery.connections.remove(connection)
        delivery.open.discard(connection)


def test_every_close_reason_is_documented():
    """docs/gateway.md's `closed` push lists every errorCode a connection may be closed with (its contract)."""
    row = next(line for line in (Path(__file__).resolve().parents[2] / "docs" / "gateway.md").read_text(
        encoding="utf-8").splitlines() if line.startswith("| `closed` |"))
    assert set(CLOSE_REASONS) <= set(re.findall(r"`(\w+)`", row)), row
