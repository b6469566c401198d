"""A python-socketio client on long-polling only keeps up with a burst, both ways. Received: more events
than python-engineio's client takes in one poll answer (`Payload.max_decode_packets`, 16) are queued for
it while it is not polling, and it gets every one, in order, once, over several answers, and stays
connected. Sent: a post of more than 16 events (the client posts everything it has queued at once) gets
every event acknowledged, stored or refused `busy`, none lost; a post of more than the server decodes
is refused, 400. Against the real server (gunicorn, one gevent worker); the client's own polls and posts
are held back by the test, as a slow network or a busy client holds them."""
from __future__ import annotations

import json
import threading

import pytest
import requests
import socketio

from realtime.long_polling import POLL_ANSWER_MAX_PACKETS, POST_MAX_PACKETS
from tests.integration.chat import create_group, history, open_direct, post
from tests.servers import wait_for

pytestmark = pytest.mark.integration

BURST = 40  # events queued between two polls: well past the client's 16 packets per answer


class HeldPolls(requests.Session):
    """The polling client's HTTP session: its GETs (the polls) wait while the test holds them (and its
    POSTs while `posts` is held); it keeps the text of every poll answer, in the order they came."""

    def __init__(self) -> None:
        super().__init__()
        self.posts = threading.Event()
        self.posts.set()
        self.bodies: list[str] = []  # of the posts, in the order they went
        self.open = threading.Event()
        self.open.set()
        self.waiting = threading.Event()  # a poll is held
        self.answers: list[str] = []

    def request(self, method, url, *args, **kwargs):
        if method == "POST":
            self.posts.wait(timeout=30)
            self.bodies.append(kwargs.get("data") or "")
        if method == "GET" and not self.open.is_set():
            self.waiting.set()
            self.open.wait(timeout=30)
        response = super().request(method, url, *args, **kwargs)
        if method == "GET":
            self.answers.append(response.text)
        return response


def events_on_the_wire(answers: list[str], event: str) -> list[dict]:
    """The payloads of `event` in the poll answers, in the order they were sent (python-socketio's client
    runs each handler in a thread of its own, so the order its handlers see may differ)."""
    payloads = []
    for answer in answers:
        for packet in answer.split("\x1e"):
            if packet.startswith("42["):
                name, payload = json.loads(packet[2:])[:2]
                if name == event:
                    payloads.append(payload)
    return payloads


def test_a_burst_between_two_polls_arrives_whole_and_the_client_stays(register, connect):
    alice, bob = register(), register()
    group_id = create_group(alice, (bob,))
    alice_socket = connect(alice)  # websocket: tells when the server has emitted every message
    polls = HeldPolls()
    client = socketio.Client(reconnection=False, http_session=polls)
    received: list[dict] = []
    client.on("message:new", received.append)
    client.connect(alice.server_url, auth={"token": bob.token}, transports=["polling"], wait_timeout=10)
    try:
        polls.open.clear()
        # The poll waiting at the server, if any, is answered by this one; the client's next one is held.
        first = post(alice, group_id, "before the burst")
        assert polls.waiting.wait(timeout=10), "the client's poll was not held"
        sent = [first] + [post(alice, group_id, f"burst {number}") for number in range(BURST)]
        wait_for(lambda: len(alice_socket.received["message:new"]) == len(sent),
                 what="every message emitted (to alice's websocket, and to bob's polling queue)")
        polls.open.set()
        wait_for(lambda: len(received) == len(sent) or not client.connected, timeout=20,
                 what="bob's messages, or his disconnect")

        answer_sizes = [len(answer.split("\x1e")) for answer in polls.answers]
        assert client.connected, f"the polling client was dropped (packets per poll answer: {answer_sizes})"
        # The burst came in answers the client takes (and it was split: the test held back enough).
        assert max(answer_sizes) == POLL_ANSWER_MAX_PACKETS, answer_sizes
        sent_ids = [message["id"] for message in sent]
        on_the_wire = [event["message"]["id"] for event in events_on_the_wire(polls.answers, "message:new")]
        assert on_the_wire == sent_ids  # every one, once, in the order they were sent
        assert sorted(event["message"]["id"] for event in received) == sorted(sent_ids)
        assert client.connected
    finally:
        polls.open.set()
        if client.connected:
            client.disconnect()


SENDS = 40  # in one post: past python-engineio's 16 a post, and past SOCKET_EVENT_QUEUE (16) waiting


def test_a_burst_of_sends_in_one_post_is_answered_every_one(register):
    alice, bob = register(), register()
    group_id = create_group(alice, (bob,))
    session = HeldPolls()
    client = socketio.Client(reconnection=False, http_session=session)
    client.connect(alice.server_url, auth={"token": alice.token}, transports=["polling"], wait_timeout=10)
    acks: dict[int, dict] = {}
    try:
        session.posts.clear()  # the client's next post waits until every send is queued in it
        for number in range(SENDS):
            client.emit("message:send", {"conversation_id": group_id, "body": f"send {number}",
                                         "client_id": f"burst-{number}"},
                        callback=lambda ack, number=number: acks.__setitem__(number, ack))
        wait_for(lambda: client.eio.queue.qsize() >= SENDS - 1, what="the sends queued for the client's post")
        session.posts.set()
        wait_for(lambda: len(acks) == SENDS or not client.connected, timeout=20, what="an ack for every send")
        assert client.connected
        assert max(body.count("\x1e") + 1 for body in session.bodies) > 16  # they went together
        stored = [number for number, ack in sorted(acks.items()) if ack.get("ok")]
        refused = {ack["error"]["code"] for ack in acks.values() if not ack.get("ok")}
        assert stored and refused <= {"busy"}, acks  # each stored, or refused for the moment: none lost
        # Stored: exactly those acknowledged, in the order they were sent.
        bodies = [message["body"] for message in history(alice, group_id) if message["body"].startswith("send ")]
        assert bodies == [f"send {number}" for number in stored]
    finally:
        session.posts.set()
        if client.connected:
            client.disconnect()


def test_a_post_of_more_packets_than_the_server_decodes_is_refused(register):
    alice = register()
    client = socketio.Client(reconnection=False)
    client.connect(alice.server_url, auth={"token": alice.token}, transports=["polling"], wait_timeout=10)
    try:
        url = f"{alice.server_url}/socket.io/?EIO=4&transport=polling&sid={client.eio.sid}"

        def post_pongs(count: int) -> int:
            return requests.post(url, data="\x1e".join(["3"] * count).encode(), timeout=10).status_code

        assert post_pongs(POST_MAX_PACKETS) == 200
        assert post_pongs(POST_MAX_PACKETS + 1) == 400
        wait_for(lambda: not client.connected, what="the connection closed")
    finally:
        if client.connected:
            client.disconnect()


def connected_by_polling(user) -> str:
    """A Socket.IO connection of `user` on long-polling, opened by hand (one request at a time): its URL."""
    opened = requests.get(f"{user.server_url}/socket.io/?EIO=4&transport=polling", timeout=10)
    url = f"{user.server_url}/socket.io/?EIO=4&transport=polling&sid={json.loads(opened.text[1:])['sid']}"
    assert requests.post(url, data="40" + json.dumps({"token": user.token}), timeout=10).ok
    assert requests.get(url, timeout=10).text.startswith("40")
    return url


@pytest.mark.parametrize("body", ["\x1e".join(["3"] * (POST_MAX_PACKETS + 1)), "x", "2probe", "6", "3\x1e9"],
                         ids=["too many", "no packet", "a ping", "a noop", "an unknown type after a pong"])
def test_a_refused_post_is_answered_while_nobody_polls(register, body):
    """A client that polls only once its post is answered (one request at a time) got no answer to a post
    refused so, ever: python-engineio's closing of the connection waited for a poll to take its CLOSE. So too
    for an Engine.IO packet no client posts (a PING, a NOOP, a type past the protocol's), which python-engineio's
    Socket.receive refuses (UnknownPacketError) while the post is read."""
    alice = register()
    url = connected_by_polling(alice)

    assert requests.post(url, data=body.encode(), timeout=10).status_code == 400
    assert requests.get(url, timeout=10).status_code == 400  # the connection is gone


@pytest.mark.parametrize("body", ["x", "6"], ids=["no packet", "a noop"])
def test_a_connection_closed_for_a_refused_post_goes_offline(register, body):
    """close_at_once ends the connection as python-engineio's disconnect does, its CLOSE not waited for: the
    disconnect handler runs, so the user goes offline for the people who see them (the grace period, then the
    batch), not only once the presence entry expires."""
    alice, bob = register(), register()
    open_direct(alice, bob)
    url = connected_by_polling(alice)

    def online() -> bool:
        return bob.api("GET", f"/presence?user_ids={alice.id}").json()["presence"][0]["online"]

    wait_for(online, what="alice online")
    assert requests.post(url, data=body.encode(), timeout=10).status_code == 400
    wait_for(lambda: not online(), timeout=30, what="alice offline")
