"""blueprints/chat/socket_queue.py: a socket's events take turns in arrival order, and a full
queue refuses at once."""
import threading

from blueprints.chat.socket_queue import Refusal, SocketQueues, Turn


def test_events_beyond_the_limit_are_refused_and_a_finished_one_frees_a_place():
    queues = SocketQueues()
    first, second = queues.admit("a", 2, 0), queues.admit("a", 2, 0)
    assert isinstance(first, Turn) and isinstance(second, Turn)
    assert queues.admit("a", 2, 0) == Refusal(disconnect=False)
    assert isinstance(queues.admit("b", 2, 0), Turn)  # another socket has its own queue
    first.finish()
    assert isinstance(queues.admit("a", 2, 0), Turn)


def test_the_socket_is_disconnected_at_the_set_refusal_counted_since_its_queue_was_empty():
    queues = SocketQueues()
    turn = queues.admit("a", 1, 3)
    assert [queues.admit("a", 1, 3).disconnect for _ in range(4)] == [False, False, True, False]
    turn.finish()  # nothing in flight: the count starts again
    queues.admit("a", 1, 3)
    assert [queues.admit("a", 1, 3).disconnect for _ in range(3)] == [False, False, True]
    queues.admit("b", 1, 0)
    assert not any(queues.admit("b", 1, 0).disconnect for _ in range(5))  # 0: never


def test_turns_pass_in_admission_order_whatever_order_the_waiters_start_in():
    queues = SocketQueues()
    turns = [queues.admit("a", 10, 0) for _ in range(5)]
    ran = []

    def take(index: int) -> None:
        turns[index].wait()
        ran.append(index)
        turns[index].finish()

    threads = [threading.Thread(target=take, args=(index,)) for index in (4, 2, 3, 1, 0)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert ran == [0, 1, 2, 3, 4]
    assert queues.in_flight("a") == 0
