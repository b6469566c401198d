"""blueprints/chat/socket_queue.py against a stand-in for python-socketio's server, whose background
tasks run only when the test says: a socket's events wait in order and run one at a time, each
one's after-ack callbacks before the next; past the queue they are refused with `busy` at once."""
from __future__ import annotations

from types import SimpleNamespace

from socketio import packet

from blueprints.chat.socket_queue import BUSY, SocketQueues, after_this_ack
from payloads import error_payload


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


def test_the_socket_writer_gets_a_turn_between_the_ack_and_the_after_ack_work():
    # Without it the changes reached other sockets' writers while the ack still waited in its
    # socket's queue: other members read message:new before the sender had its ack.
    server = StandInServer()
    queues = SocketQueues(server)
    emit(queues, "e1", 0)
    server.run_tasks()
    assert server.log == [("handled", "s1", 0), ("after ack", "s1", 0)]
    assert server.yields == [1]


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


class StandInConnection:
    """An engine.io connection on websocket: its outgoing queue and the socket under it."""

    def __init__(self, queued: int, writing_turns: int) -> None:
        self.queued = queued
        self.writing_turns = writing_turns
        self.queue = SimpleNamespace(empty=lambda: self.queued == 0)
        self.switchboard_frames = Frames(lambda: self.writing_turns > 0)

    def turn(self) -> None:
        """One turn of the writer: it takes what is queued, then writes for a few turns."""
        self.queued = 0
        self.writing_turns = max(self.writing_turns - 1, 0)


def test_the_changes_wait_until_the_ack_is_written_not_only_queued():
    server = StandInServer()
    connection = StandInConnection(queued=2, writing_turns=3)
    server.eio.sockets["e1"] = connection
    turns = []
    server.sleep = lambda seconds: (turns.append(seconds), connection.turn())
    SocketQueues(server)._wait_until_written("e1")
    assert connection.queued == 0 and connection.writing_turns == 0
    assert len(turns) >= 4  # waited while the writer was still writing, not just one turn


def test_a_writer_stuck_on_a_client_that_does_not_read_is_waited_for_a_bounded_time(monkeypatch):
    from blueprints.chat import socket_queue

    server = StandInServer()
    server.eio.sockets["e1"] = StandInConnection(queued=1, writing_turns=10**9)
    clock = [0.0]
    monkeypatch.setattr(socket_queue.time, "monotonic", lambda: clock[0])
    server.sleep = lambda seconds: clock.__setitem__(0, clock[0] + max(seconds, 0.001))
    SocketQueues(server)._wait_until_written("e1")
    assert socket_queue.ACK_WRITE_WAIT_SECONDS <= clock[0] < socket_queue.ACK_WRITE_WAIT_SECONDS + 0.1
