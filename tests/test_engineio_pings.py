"""realtime.engineio_pings: one task per server pings its connections when due, oldest first."""
from __future__ import annotations

import threading
import time

import engineio.packet
import engineio.socket

from realtime.engineio_pings import Pings, ping_from_one_loop


class Server:
    """What Pings asks of a python-engineio server: the interval, a background task, a sleep."""

    def __init__(self, interval: float) -> None:
        self.ping_interval = interval
        self.tasks: list[threading.Thread] = []

    def start_background_task(self, target) -> threading.Thread:
        task = threading.Thread(target=target, daemon=True)
        self.tasks.append(task)
        task.start()
        return task

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class Connection:
    """An engine.io socket as far as a ping goes: what was sent, and when."""

    def __init__(self, name: str, closed: bool = False) -> None:
        self.name, self.closing, self.closed = name, False, closed
        self.last_ping = None
        self.sent: list[tuple[float, int]] = []

    def send(self, packet) -> None:
        self.sent.append((time.monotonic(), packet.packet_type))


class Failing(Connection):
    def send(self, packet) -> None:
        raise RuntimeError("a connection's fault")


def wait_until(check, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_each_connection_is_pinged_an_interval_after_it_was_scheduled_by_one_task():
    server = Server(0.2)
    pings = Pings(server)
    first, second, gone = Connection("first"), Connection("second"), Connection("gone", closed=True)
    started = time.monotonic()
    for connection in (first, gone, second):
        pings.schedule(connection)
    wait_until(lambda: first.sent and second.sent)
    wait_until(lambda: not pings.running)  # the line is empty: the task has ended
    assert [packet for _, packet in first.sent + second.sent] == [engineio.packet.PING] * 2
    assert first.sent[0][0] - started >= 0.2 and first.sent[0][0] <= second.sent[0][0]
    assert gone.sent == [] and first.last_ping is not None
    assert len(server.tasks) == 1  # one task for the three
    pings.schedule(first)  # a later pong starts a new task
    wait_until(lambda: len(first.sent) == 2)
    assert len(server.tasks) == 2


def test_a_ping_that_fails_does_not_end_the_others(caplog):
    pings = Pings(Server(0.05))
    broken, after = Failing("broken"), Connection("after")
    pings.schedule(broken)
    pings.schedule(after)
    wait_until(lambda: after.sent and not pings.running)
    assert "engine.io ping of a socket failed" in caplog.text
    pings.schedule(after)  # and the line goes on being served
    wait_until(lambda: len(after.sent) == 2)


def test_engineio_sockets_schedule_their_pings_on_their_servers_line():
    original = engineio.socket.Socket.schedule_ping
    try:
        ping_from_one_loop()
        ping_from_one_loop()  # a second app in the same process changes nothing
        server = Server(30)
        socket = engineio.socket.Socket.__new__(engineio.socket.Socket)
        socket.server, socket.last_ping, socket.closing, socket.closed = server, time.time(), False, False
        socket.schedule_ping()
        socket.schedule_ping()  # the previous cycle is not complete: not scheduled twice
        assert [entry[1] for entry in server.switchboard_pings.due] == [socket] and socket.last_ping is None
        socket.closed = True  # its ping, due in 30 s, is skipped: no stand-in socket pinged after this test
    finally:
        engineio.socket.Socket.schedule_ping = original
