"""One socket flooding the worker with events: its excess is refused with `busy` at once, its
admitted messages are stored in the order it sent them, and another client's sends all go
through. Against the real server (gunicorn, one gevent worker). Nothing here is timed."""
from __future__ import annotations

import threading
import uuid

import pytest
import socketio

from tests.integration.chat import create_group, send
from tests.servers import wait_for

pytestmark = pytest.mark.integration

BURST = 150  # above SOCKET_EVENT_QUEUE (16), below 16 + SOCKET_BUSY_DISCONNECT (200)
QUIET_SENDS = 20


def burst(socket, group_id: int, count: int, tag: str) -> dict[int, dict]:
    """Emit `count` sends without waiting for any ack; returns the acks by send number as they come."""
    acks: dict[int, dict] = {}
    for number in range(count):
        socket.client.emit("message:send", {"conversation_id": group_id, "body": f"{tag} {number}",
                                            "client_id": f"{tag}-{number}"},
                           callback=lambda ack, number=number: acks.__setitem__(number, ack))
    return acks


def test_a_burst_gets_busy_acks_and_another_clients_sends_are_all_acknowledged(register, connect):
    flooder, quiet = register(), register()
    group_id = create_group(flooder, (quiet,))
    flooder_socket, quiet_socket = connect(flooder), connect(quiet)
    quiet_acks: list[dict] = []

    def send_quietly() -> None:
        for number in range(QUIET_SENDS):
            quiet_acks.append(send(quiet_socket, group_id, f"quiet {number}"))

    quiet_sender = threading.Thread(target=send_quietly)
    quiet_sender.start()
    acks = burst(flooder_socket, group_id, BURST, f"flood-{uuid.uuid4().hex[:6]}")
    quiet_sender.join(timeout=60)
    wait_for(lambda: len(acks) == BURST, timeout=60, what="an ack for every emitted event")

    assert len(quiet_acks) == QUIET_SENDS  # send() asserted that each one was ok
    codes = {ack["error"]["code"] for ack in acks.values() if not ack["ok"]}
    assert codes == {"busy"}
    stored = [(number, ack["message"]["seq"]) for number, ack in sorted(acks.items()) if ack["ok"]]
    assert len(stored) >= 16
    assert [seq for _, seq in stored] == sorted(seq for _, seq in stored)  # in the order they were sent
    # The send's ack comes after any cut the burst earned: connected is checked after it.
    assert send(flooder_socket, group_id, "after the burst")["seq"] > stored[-1][1]
    assert flooder_socket.client.connected


def test_a_socket_that_keeps_flooding_is_disconnected(register, connect):
    flooder, quiet = register(), register()
    group_id = create_group(flooder, (quiet,))
    flooder_socket, quiet_socket = connect(flooder), connect(quiet)
    try:
        burst(flooder_socket, group_id, 1000, "flood")
    except socketio.exceptions.BadNamespaceError:  # cut while still emitting: the cut may come at any point
        pass
    wait_for(lambda: not flooder_socket.client.connected, timeout=30, what="the flooding socket disconnected")
    send(quiet_socket, group_id, "still here")
