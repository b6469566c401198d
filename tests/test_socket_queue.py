"""blueprints/chat/socket_queue.py against a stand-in for python-socketio's server, whose background
tasks run only when the test says: a socket's events wait in order and run one at a time, each
one's after-ack callbacks before the next; past the queue they are refused with `busy` at once."""
from __future__ import annotations

import contextlib
import logging
from collections import deque
from types import SimpleNamespace

from socketio import packet

from blueprints.chat.socket_queue import BUSY, SocketQueues, after_this_ack
from ops import metrics
from payloads import error_payload
from realtime import answer_first


class StandInServer:
    def __init__(self, queue: int = 3, busy_disconnect: int = 0) -> None:
        config = {"SOCKET_EVENT_QUEUE": queue, "SOCKET_BUSY_DISCONNECT": busy_disconnect}
        self.environ = {"e1": {"flask.app": SimpleNamespace(config=config)},
                        "e2": {"flask.app": SimpleNamespace(config=config)}}
        self.manager = SimpleNamespace(sid_from_eio_sid=lambda eio_sid, namespace: "s" + eio_sid[1:],
                                       is_connected=lambda sid, namespace: sid is not None)
        self.async_handlers = True
        self.packet_class = packet.Packet
        self.tasks, self.log, self.sent, self.disconnected = [], [], [], []
        self.yields = []  # len(self.log) at each sleep(0): when other greenlets (the writers) got a turn
        self.eio = SimpleNamespace(disconnect=lambda eio_sid: self.disconnected.append(eio_sid), sockets={})

    def disconnect(self, sid, namespace=None):
        self.disconnected.append(sid)

    def start_background_task(self, target, *args):
        self.tasks.append(lambda: target(*args))

    def sleep(self, seconds) -> None:
        self.yields.append(len(self.log))

    def run_tasks(self) -> None:
        while self.tasks:
            self.tasks.pop(0)()

    def _handle_event_internal(self, server, sid, eio_sid, data, namespace, ack_id):
        self.log.append(("handled", sid, data[1]))
        after_this_ack(lambda: self.log.append(("after ack", sid, data[1])))

    def _send_packet(self, eio_sid, sent):
        self.sent.append((eio_sid, sent.id, sent.data))


def emit(queues: SocketQueues, eio_sid: str, number: int) -> None:
    queues.handle_event(eio_sid, "/", number, ["message:send", number])


def test_events_wait_in_order_and_run_one_at_a_time_with_their_after_ack_work_between():
    server = StandInServer(queue=3)
    queues = SocketQueues(server)
    for number in range(3):
        emit(queues, "e1", number)
    emit(queues, "e2", 10)
    assert server.log == [] and len(server.tasks) == 2  # one worker per socket, not one per event
    assert queues.in_flight("s1") == 3
    server.run_tasks()
    assert server.log == [("handled", "s1", 0), ("after ack", "s1", 0), ("handled", "s1", 1), ("after ack", "s1", 1),
                          ("handled", "s1", 2), ("after ack", "s1", 2), ("handled", "s2", 10), ("after ack", "s2", 10)]
    assert queues.lanes == {}  # nothing in flight: nothing kept


def test_past_the_queue_an_event_is_answered_busy_at_once_and_never_handled():
    server = StandInServer(queue=2)
    queues = SocketQueues(server)
    for number in range(4):
        emit(queues, "e1", number)
    assert server.sent == [("e1", 2, [error_payload(BUSY)]), ("e1", 3, [error_payload(BUSY)])]
    server.run_tasks()
    assert [entry[2] for entry in server.log if entry[0] == "handled"] == [0, 1]
    emit(queues, "e1", 4)  # the queue emptied: room again
    server.run_tasks()
    assert server.log[-2:] == [("handled", "s1", 4), ("after ack", "s1", 4)]


def test_a_socket_that_keeps_sending_into_its_full_queue_is_disconnected_once():
    server = StandInServer(queue=1, busy_disconnect=3)
    queues = SocketQueues(server)
    for number in range(6):
        emit(queues, "e1", number)
    assert server.disconnected == ["s1", "e1"]  # the socket, and its whole connection
    server.run_tasks()
    emit(queues, "e1", 7)
    for number in range(8, 10):  # a new count since the queue emptied
        emit(queues, "e1", number)
    assert server.disconnected == ["s1", "e1"]


def test_an_event_of_a_socket_no_longer_connected_is_ignored():
    server = StandInServer()
    queues = SocketQueues(server)
    server.manager.sid_from_eio_sid = lambda eio_sid, namespace: None
    emit(queues, "e1", 0)
    assert (server.tasks, server.sent, queues.lanes) == ([], [], {})


class Frames:
    def __init__(self, writing) -> None:
        self._writing = writing

    @property
    def writing(self) -> bool:
        return self._writing()


class Queued:
    def __init__(self, text: str) -> None:
        self.text = text

    def encode(self) -> str:
        return self.text


class StandInConnection:
    """An engine.io connection on websocket: its outgoing queue, its writer, the socket under it."""

    def __init__(self, queued: int = 0, blocked_turns: int = 0, per_turn: int = 1) -> None:
        self.queue = SimpleNamespace(queue=deque(Queued(f"frame {number}") for number in range(queued)))
        self.closed = False
        self.wire: list[str] = []
        self.blocked_turns = blocked_turns  # turns its writer spends stuck on a client that does not read
        self.per_turn = per_turn  # packets its writer writes in a turn
        self.switchboard_frames = Frames(lambda: self.blocked_turns > 0)

    def writer_turn(self) -> None:
        if self.blocked_turns:
            self.blocked_turns -= 1
            return
        for _ in range(self.per_turn):
            if self.queue.queue:
                self.wire.append(self.queue.queue.popleft().encode())


class SlowLoop:
    """The loop's clock and turns: each sleep lets the writer take a turn and `turn` seconds pass."""

    def __init__(self, monkeypatch, connection: StandInConnection, turn: float) -> None:
        self.now, self.turn, self.connection = 0.0, turn, connection
        monkeypatch.setattr(answer_first.time, "monotonic", lambda: self.now)

    def sleep(self, _seconds: float) -> None:
        self.now += self.turn
        self.connection.writer_turn()


def test_the_changes_wait_until_the_ack_is_written_however_long_the_queue_before_it(monkeypatch):
    # A worker far behind: 50 frames queued before the ack, one written every 50 ms. A fixed
    # wait (it was 0.2 s) released the changes long before the ack was written, and other
    # sockets read message:new before the sender had its answer.
    server = StandInServer()
    connection = server.eio.sockets["e1"] = StandInConnection(queued=50)
    server.sleep = SlowLoop(monkeypatch, connection, turn=0.05).sleep

    def handle_and_ack(_server, sid, eio_sid, data, namespace, ack_id):
        connection.queue.queue.append(Queued("ack"))
        after_this_ack(lambda: server.log.append(list(connection.wire)))

    server._handle_event_internal = handle_and_ack
    emit(SocketQueues(server), "e1", 0)
    server.run_tasks()
    assert server.log == [[f"frame {number}" for number in range(50)] + ["ack"]]


def test_frames_queued_after_the_ack_do_not_hold_the_changes_back(monkeypatch):
    server = StandInServer()
    connection = server.eio.sockets["e1"] = StandInConnection(queued=2, per_turn=1)
    loop = SlowLoop(monkeypatch, connection, turn=0.001)

    def sleep(seconds: float) -> None:  # other sockets' changes keep arriving behind the ack
        connection.queue.queue.append(Queued("later"))
        loop.sleep(seconds)

    server.sleep = sleep
    connection.queue.queue.append(Queued("ack"))
    SocketQueues(server)._wait_until_written("e1")
    assert connection.wire == ["frame 0", "frame 1", "ack"]


def test_a_writer_stuck_on_a_client_that_does_not_read_is_waited_for_a_bounded_time(monkeypatch, caplog):
    server = StandInServer()
    connection = server.eio.sockets["e1"] = StandInConnection(queued=1, blocked_turns=10**9)
    loop = SlowLoop(monkeypatch, connection, turn=0.001)
    server.sleep = loop.sleep
    with counted_and_logged("not_reading", caplog):
        SocketQueues(server)._wait_until_written("e1")
    assert connection.wire == []
    assert answer_first.BLOCKED_AT_MOST <= loop.now < answer_first.BLOCKED_AT_MOST + 0.05


def test_a_writer_that_never_gets_to_the_ack_is_waited_for_at_most_the_longest_wait(monkeypatch, caplog):
    server = StandInServer()
    connection = server.eio.sockets["e1"] = StandInConnection(queued=1, per_turn=0)
    loop = SlowLoop(monkeypatch, connection, turn=0.01)
    server.sleep = loop.sleep
    with counted_and_logged("behind", caplog):
        SocketQueues(server)._wait_until_written("e1")
    assert answer_first.WAITED_AT_MOST <= loop.now < answer_first.WAITED_AT_MOST + 0.05


@contextlib.contextmanager
def counted_and_logged(reason: str, caplog):
    """The wait given up for `reason` is counted in the metrics and logged with its connection (e1), once."""
    counter = metrics.ANSWERS_NOT_WAITED_FOR.labels(reason)
    before = counter._value.get()
    with caplog.at_level(logging.INFO, logger="realtime.answer_first"):
        yield
    assert counter._value.get() == before + 1
    logged = [record.getMessage() for record in caplog.records if record.name == "realtime.answer_first"]
    assert len(logged) == 1 and "connection e1 " in logged[0] and f"({reason})" in logged[0], logged
