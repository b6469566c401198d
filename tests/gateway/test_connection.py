"""gateway.connection.Connection: packets never block whoever pushes them; a client that does not
read is cut past GATEWAY_SEND_QUEUE; a close comes after what was queued before it."""
from __future__ import annotations

import threading
import time

from gateway.connection import Connection
from tests.servers import wait_for


class FakeWebSocket:
    """What the writer sees of a client: `send` waits until the client reads (`reading`)."""

    def __init__(self, reading: bool = True) -> None:
        self.sock = self
        self.event = threading.Event()
        self.reading = threading.Event()
        if reading:
            self.reading.set()
        self.sent: list[bytes] = []
        self.closed_with: tuple[int, str] | None = None
        self.shut_down = False

    def send(self, data: bytes) -> None:
        self.reading.wait()
        if self.shut_down:
            raise OSError("shut down")
        self.sent.append(data)

    def close(self, code: int, reason: str) -> None:
        self.closed_with = (code, reason)

    def shutdown(self, how: int) -> None:
        self.shut_down = True
        self.reading.set()  # the blocked write fails at once


def connection(ws: FakeWebSocket, send_queue: int = 3) -> Connection:
    return Connection(ws, "127.0.0.1", send_queue, lambda task: threading.Thread(target=task, daemon=True).start(),
                      time.sleep)


def test_a_client_that_does_not_read_is_cut_and_others_go_on():
    stuck, reader = FakeWebSocket(reading=False), FakeWebSocket()
    slow, fine = connection(stuck), connection(reader, send_queue=100)
    for index in range(10):  # every push returns at once, whatever the client does
        slow.push(b"%d" % index)
        fine.push(b"%d" % index)
    # Once its writer is blocked on the client with 3 packets waiting, the next push cuts it.
    wait_for(lambda: slow.push(b"more") or slow.dead, what="the cut")
    assert stuck.shut_down and stuck.event.is_set()
    wait_for(lambda: len(reader.sent) == 10, what="the reading client's packets")
    assert reader.sent == [b"%d" % index for index in range(10)] and not fine.closing


def test_a_close_follows_what_was_queued_before_it():
    ws = FakeWebSocket()
    conn = connection(ws, send_queue=100)
    conn.push(b"answer")
    conn.close(1008, "deactivated")
    conn.push(b"too late")
    wait_for(lambda: conn.dead, what="the close")
    assert ws.sent == [b"answer"] and ws.closed_with == (1008, "deactivated") and ws.event.is_set()


def test_an_answered_send_skips_its_own_fan_out_once():
    conn = connection(FakeWebSocket())
    conn.remember_answered(41)
    assert conn.was_answered(41) is True
    assert conn.was_answered(41) is False and conn.was_answered(42) is False
