"""A python-socketio client on long-polling only keeps up with a burst: more events than python-engineio's
client takes in one poll answer (`Payload.max_decode_packets`, 16) are queued for it while it is not
polling, and it gets every one, in order, once, over several answers, and stays connected. Against the
real server (gunicorn, one gevent worker); the client's own polls are held back by the test, as a slow
network or a busy client holds them."""
from __future__ import annotations

import json
import threading

import pytest
import requests
import socketio
from engineio.payload import Payload

from tests.integration.chat import create_group, post
from tests.servers import wait_for

pytestmark = pytest.mark.integration

BURST = 40  # events queued between two polls: well past the client's 16 packets per answer


class HeldPolls(requests.Session):
    """The polling client's HTTP session: its GETs (the polls) wait while the test holds them; it keeps
    the text of every poll answer, in the order they came."""

    def __init__(self) -> None:
        super().__init__()
        self.open = threading.Event()
        self.open.set()
        self.waiting = threading.Event()  # a poll is held
        self.answers: list[str] = []

    def request(self, method, url, *args, **kwargs):
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
        assert max(answer_sizes) == Payload.max_decode_packets, answer_sizes
        sent_ids = [message["id"] for message in sent]
        on_the_wire = [event["message"]["id"] for event in events_on_the_wire(polls.answers, "message:new")]
        assert on_the_wire == sent_ids  # every one, once, in the order they were sent
        assert sorted(event["message"]["id"] for event in received) == sorted(sent_ids)
        assert client.connected
    finally:
        polls.open.set()
        if client.connected:
            client.disconnect()
