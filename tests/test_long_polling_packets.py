"""realtime.long_polling: a long-polling answer carries at most 16 packets (what python-engineio's client
accepts), the rest waits in order for the next poll, none taken twice; a closed connection, which
python-engineio forgets after its next answer, gets everything queued in it; an upgraded connection's
websocket writer still takes everything. Real
parts: python-engineio's server, socket and gevent queue."""
from __future__ import annotations

import engineio
import engineio.packet
import engineio.socket
import gevent
import pytest
from engineio.payload import Payload

from realtime.long_polling import POLL_ANSWER_MAX_PACKETS, cap_long_polling


@pytest.fixture
def connection():
    """A connected engine.io connection on long-polling, its poll answers capped."""
    cap_long_polling()
    eio_socket = engineio.socket.Socket(engineio.Server(async_mode="gevent"), "eio-1")
    eio_socket.connected = True
    return eio_socket


def queue_messages(connection, count: int) -> list[str]:
    texts = [f"event {number}" for number in range(count)]
    for text in texts:
        connection.send(engineio.packet.Packet(engineio.packet.MESSAGE, data=text))
    return texts


def test_the_cap_is_what_python_engineios_client_accepts():
    cap_long_polling()  # the server's posts decode more; python-engineio's clients, here too, keep their 16
    assert POLL_ANSWER_MAX_PACKETS == Payload.max_decode_packets == 16


def test_a_poll_answer_carries_at_most_16_packets_and_the_rest_waits_in_order(connection):
    sent = queue_messages(connection, 40)
    answers = [connection.poll() for _ in range(3)]
    assert [len(answer) for answer in answers] == [16, 16, 8]
    assert [packet.data for answer in answers for packet in answer] == sent  # in order, each once
    assert connection.queue.qsize() == 0 and connection.queue.unfinished_tasks == 0


def test_an_answer_of_16_packets_or_fewer_is_as_before(connection):
    sent = queue_messages(connection, 16)
    assert [packet.data for packet in connection.poll()] == sent
    assert connection.queue.qsize() == 0


def test_a_closed_connection_gets_everything_queued_in_one_answer(connection):
    """python-engineio forgets a closed connection after this answer: nothing may be left behind."""
    sent = queue_messages(connection, 20)
    connection.close(wait=False)  # queues CLOSE, then the None that ends the connection
    answer = connection.poll()
    assert [packet.data for packet in answer[:-1]] == sent and answer[-1].packet_type == engineio.packet.CLOSE
    assert connection.poll() == []  # the end, as python-engineio answers it


def test_a_close_that_waits_for_its_queue_returns_once_the_client_polls(connection):
    """engineio's Server.disconnect: close(wait=True) waits until every queued packet has been taken."""
    sent = queue_messages(connection, 20)
    closing = gevent.spawn(connection.close)
    gevent.sleep(0)  # the close has queued its CLOSE and waits
    answer = connection.poll()
    assert [packet.data for packet in answer[:-1]] == sent
    closing.join(timeout=5)
    assert closing.dead


def test_a_poll_woken_by_a_close_takes_everything_queued(connection):
    polling = gevent.spawn(connection.poll)
    gevent.sleep(0)  # waiting for a first packet
    sent = queue_messages(connection, 20)  # taken by the poll only once this greenlet yields
    connection.close(wait=False)
    answer = polling.get(timeout=5)
    assert [packet.data for packet in answer[:-1]] == sent and answer[-1].packet_type == engineio.packet.CLOSE


def test_an_upgraded_connections_websocket_writer_takes_everything_queued(connection):
    connection.upgraded = True
    sent = queue_messages(connection, 40)
    assert [packet.data for packet in connection.poll()] == sent


def test_the_poll_is_capped_once_per_process():
    cap_long_polling()
    capped = engineio.socket.Socket.poll
    cap_long_polling()
    assert engineio.socket.Socket.poll is capped
    assert not getattr(capped.__wrapped__, "capped", False)
