"""A client that reads slowly still gets whole frames: big `sync` answers queued while it does
not read (the connection's buffers full) arrive intact once it reads again; and it holds back
nobody else's news of what it sends meanwhile."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.chat import create_group
from tests.servers import ChatUser, wait_for
from tests.wire_client import WireHub

pytestmark = pytest.mark.integration

MESSAGES = 200
BODY = "x" * 4000  # MESSAGE_MAX_LENGTH: each answer below is about 850 kB
ANSWERS = 16  # SOCKET_EVENT_QUEUE admits them all: about 13 MB, more than the kernel buffers hold


def unsent_bytes(local_port: int, remote_port: int) -> int:
    """What the 127.0.0.1:local_port end of a TCP connection has yet to get acknowledged
    (tx_queue in /proc/net/tcp)."""
    local, remote = f"0100007F:{local_port:04X}", f"0100007F:{remote_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[2] == remote:
            return int(fields[4].split(":")[0], 16)
    return 0


def test_answers_queued_for_a_client_that_does_not_read_arrive_whole(live_server):
    alice, bob, group_id = big_conversation(live_server)
    hub = WireHub()
    slow = hub.connect(live_server.url, bob.token, "slow")
    try:
        requests = fill_what_the_kernel_holds(live_server, slow, group_id)
        slow.paused = False
        hub.pump(until=lambda: all(request.answered for request in requests) or not slow.connected, timeout=60,
                 what="every answer")
        assert slow.connected
        assert [len(request.answer["conversations"][0]["messages"]) for request in requests] == [MESSAGES] * ANSWERS
    finally:
        hub.close()


def test_a_sender_that_does_not_read_is_answered_after_the_others_hear_and_the_server_says_so(live_server):
    # realtime.answer_first: a writer blocked 0.2 s on a client that does not read stops holding the
    # change back, so that this client delays nobody else; the server counts and logs each such answer.
    alice, bob, group_id = big_conversation(live_server)
    hub = WireHub()
    slow, reader = hub.connect(live_server.url, bob.token, "slow"), hub.connect(live_server.url, alice.token, "reader")
    try:
        fill_what_the_kernel_holds(live_server, slow, group_id)
        send = slow.emit("message:send", {"conversation_id": group_id, "body": "sent while not reading",
                                          "client_id": "not-reading-1"}, client_id="not-reading-1")
        hub.pump(until=lambda: any(frame.payload["message"]["client_id"] == "not-reading-1"
                                   for frame in reader.events("message:new")), timeout=20, what="the message")
        assert not send.answered  # the reader heard of it; its sender has not read its ack yet
        logged = wait_for(lambda: [line for line in live_server.log_text().splitlines()
                                   if f"answer on connection {slow.eio_sid} not written" in line], timeout=5,
                          what="the server's account of it")
        assert len(logged) == 1 and "(not_reading)" in logged[0], logged
        slow.paused = False
        hub.pump(until=lambda: send.answered, timeout=60, what="the ack, once the sender reads")
        assert send.answer["ok"] and send.answer["message"]["client_id"] == "not-reading-1"
    finally:
        hub.close()


def big_conversation(live_server) -> tuple[ChatUser, ChatUser, int]:
    """Two users and a group of MESSAGES messages of BODY."""
    alice, bob = ChatUser.register(live_server.url), ChatUser.register(live_server.url)
    group_id = create_group(alice, (bob,))
    for number in range(MESSAGES):
        response = alice.api("POST", f"/conversations/{group_id}/messages",
                             json={"body": BODY, "client_id": f"slow-{number}"})
        assert response.status_code == 201, response.text
    return alice, bob, group_id


def fill_what_the_kernel_holds(live_server, slow, group_id: int) -> list:
    """Pause `slow` and ask for ANSWERS big answers: the requests, once the server's send buffer is full."""
    slow.paused = True
    cursor = {"conversations": [{"conversation_id": group_id, "since": 0}], "limit": MESSAGES}
    requests = [slow.emit("sync", cursor) for _ in range(ANSWERS)]
    # The client reads nothing until the server's end of the connection stops taking more.
    client_port = slow.ws.sock.getsockname()[1]
    seen = []
    wait_for(lambda: seen.append(unsent_bytes(live_server.port, client_port)) or (
        len(seen) > 2 and seen[-1] > 1_000_000 and seen[-1] == seen[-2] == seen[-3]),
        timeout=30, interval=0.2, what="the server's send buffer full")
    return requests
