"""realtime.ordering: frames of a conversation leave in revision order; gaps are filled from the database."""
from __future__ import annotations

import threading

import pytest

from events.unreleased import HELD_AT_MOST, UnreleasedRevisions
from realtime.ordering import RevisionOrder


class Clock:
    """Background tasks that run only when the test says the wait is over."""

    def __init__(self) -> None:
        self.tasks = []

    def start(self, task, *args):
        self.tasks.append((task, args))

    def sleep(self, _seconds):
        return None

    def run_waits(self):
        tasks, self.tasks = self.tasks, []
        for task, args in tasks:
            task(*args)


def make_order(missing=None, capacity=50_000):
    sent, reads, clock = [], [], Clock()

    def read_missing(conversation_id, first, last):
        reads.append((conversation_id, first, last))
        return [(revision, f"db:{revision}") for revision in (missing or {}).get(conversation_id, [])
                if first <= revision <= last]

    order = RevisionOrder(sent.append, read_missing, clock.start, clock.sleep, capacity=capacity)
    return order, sent, reads, clock


def test_frames_in_order_leave_at_once():
    order, sent, reads, clock = make_order()
    for revision in (1, 2, 3):
        order.offer(1, revision, f"r{revision}")
    assert sent == ["r1", "r2", "r3"] and clock.tasks == [] and reads == []


def test_bus_frames_with_an_order_are_ordered_the_others_leave_at_once():
    order, sent, reads, clock = make_order()
    order.receive([{"order": [1, 2], "n": "r2"}, {"n": "unordered"}, {"order": [1, 1], "n": "r1"}])
    assert sent == [{"n": "unordered"}]  # revision 2, first seen here, waits for a lower one
    clock.run_waits()
    assert sent == [{"n": "unordered"}, {"order": [1, 1], "n": "r1"}, {"order": [1, 2], "n": "r2"}] and reads == []


def test_the_first_frame_seen_here_waits_for_a_lower_one_still_on_its_way():
    # Revision 4 committed first, but its event was released after revision 5's.
    order, sent, reads, clock = make_order()
    order.offer(1, 5, "r5")
    order.offer(1, 4, "r4")
    assert sent == []
    clock.run_waits()
    assert sent == ["r4", "r5"] and reads == []
    order.offer(1, 3, "r3-late")  # older than where this process started: its clients synced it
    order.offer(1, 6, "r6")
    assert sent == ["r4", "r5", "r6"]


def test_after_the_first_wait_gaps_above_the_lowest_revision_that_came_are_filled():
    order, sent, reads, clock = make_order(missing={1: [8]})
    order.offer(1, 9, "r9")
    order.offer(1, 7, "r7")
    clock.run_waits()
    assert reads == [(1, 8, 8)] and sent == ["r7", "db:8", "r9"]


def test_a_frame_ahead_waits_for_the_one_before_it():
    order, sent, reads, clock = make_order()
    order.offer(1, 1, "r1")
    order.offer(1, 3, "r3")
    assert sent == ["r1"] and order.waiting_count() == 1
    order.offer(1, 2, "r2")
    assert sent == ["r1", "r2", "r3"] and order.waiting_count() == 0
    clock.run_waits()  # the wait finds no gap left: nothing is read
    assert reads == [] and sent == ["r1", "r2", "r3"]


def test_conversations_do_not_wait_for_each_other():
    order, sent, _, _ = make_order()
    order.offer(1, 1, "a1")
    order.offer(2, 1, "b1")
    order.offer(1, 3, "a3")
    order.offer(2, 2, "b2")
    assert sent == ["a1", "b1", "b2"]


def test_a_gap_still_open_after_the_wait_is_read_from_the_database():
    order, sent, reads, clock = make_order(missing={1: [2, 4]})  # 3 was superseded by a later change
    order.offer(1, 1, "r1")
    order.offer(1, 5, "r5")
    order.offer(1, 6, "r6")
    assert sent == ["r1"]
    clock.run_waits()
    assert reads == [(1, 2, 4)]
    assert sent == ["r1", "db:2", "db:4", "r5", "r6"]
    order.offer(1, 3, "r3-late")  # arrives after its gap was filled: dropped, order holds
    order.offer(1, 7, "r7")
    assert sent[-1] == "r7" and "r3-late" not in sent


def test_a_missing_frame_that_arrives_while_the_database_is_read_goes_out_once():
    order, sent, reads, clock = make_order()
    arrived = []

    def read_missing(conversation_id, first, last):
        order.offer(1, 2, "r2")  # the live frame wins the race
        arrived.append(True)
        return [(2, "db:2")]

    order._read_missing = read_missing
    order.offer(1, 1, "r1")
    order.offer(1, 3, "r3")
    clock.run_waits()
    assert arrived and sent == ["r1", "r2", "r3"]


def test_old_idle_conversations_are_forgotten():
    order, sent, _, _ = make_order(capacity=2)
    for conversation_id in (1, 2, 3):
        order.offer(conversation_id, 1, f"c{conversation_id}")
    assert len(order._conversations) == 2 and 1 not in order._conversations


def test_offers_from_many_threads_keep_the_order():
    order, sent, _, clock = make_order()
    order.offer(1, 1, 1)
    revisions = list(range(2, 402))
    threads = [threading.Thread(target=order.offer, args=(1, revision, revision)) for revision in reversed(revisions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sent == [1, *revisions]


class Releases:
    """The loop's turns while a gap is open: the clock moves `turn` seconds at each of the buffer's
    waits, and at the wait numbered `at` the revision held here is let go of and released (offered)."""

    def __init__(self, unreleased: UnreleasedRevisions, clock: list[float], turn: float,
                 held: int | None = None, at: int | None = None, elsewhere: bool = False) -> None:
        self.unreleased, self.clock, self.turn, self.held, self.at, self.waits = unreleased, clock, turn, held, at, 0
        self.order: RevisionOrder | None = None
        # elsewhere: held by another process (in Redis, realtime.held_elsewhere), which releases it
        self.holder = UnreleasedRevisions(clock=lambda: clock[0]) if elsewhere else unreleased
        if elsewhere:
            unreleased.elsewhere = self.holder
        if held is not None:
            self.holder.hold([(1, held)])

    def sleep(self, _seconds) -> None:
        self.waits += 1
        self.clock[0] += self.turn
        if self.waits == self.at:
            self.holder.let_go([(1, self.held)])
            self.order.offer(1, self.held, f"r{self.held}")


def held_order(releases: Releases):
    sent, reads, clock = [], [], Clock()

    def read_missing(conversation_id, first, last):
        reads.append((conversation_id, first, last))
        return [(revision, f"db:{revision}") for revision in range(first, last + 1)]

    releases.order = RevisionOrder(sent.append, read_missing, clock.start, releases.sleep,
                                   held=releases.unreleased.held_between)
    return releases.order, sent, reads, clock


def releases_of(held: int, turn: float = 0.25, at: int | None = None,
                elsewhere: bool = False) -> tuple[Releases, list[float]]:
    now = [0.0]
    return Releases(UnreleasedRevisions(clock=lambda: now[0]), now, turn, held, at, elsewhere), now


@pytest.mark.parametrize("elsewhere", [False, True], ids=["here", "elsewhere"])
def test_a_missing_revision_committed_and_still_held_is_waited_for_not_read(elsewhere):
    # Revision 2's author has not got its ack yet (its events are held, here or by another process,
    # which its frame arriving over the bus ends); revision 3 was released. Reading 2 from the
    # database would send it to everyone before its author had the answer.
    releases, _now = releases_of(held=2, at=8, elsewhere=elsewhere)
    order, sent, reads, clock = held_order(releases)
    order.offer(1, 1, "r1")
    order.offer(1, 3, "r3")
    clock.run_waits()
    assert reads == [] and sent == ["r1", "r2", "r3"]


@pytest.mark.parametrize("elsewhere", [False, True], ids=["here", "elsewhere"])
def test_a_revision_held_past_the_longest_hold_is_read_all_the_same(elsewhere):
    # never let go of (a batch that was never delivered; a holder that died before releasing it)
    releases, now = releases_of(held=2, elsewhere=elsewhere)
    order, sent, reads, clock = held_order(releases)
    order.offer(1, 1, "r1")
    order.offer(1, 3, "r3")
    clock.run_waits()
    assert reads == [(1, 2, 2)] and sent == ["r1", "db:2", "r3"]
    assert HELD_AT_MOST <= now[0] < HELD_AT_MOST + 0.5


def test_the_first_frame_seen_here_waits_for_a_lower_revision_held_here():
    releases, _now = releases_of(held=4, at=3)
    order, sent, reads, clock = held_order(releases)
    order.offer(1, 5, "r5")
    clock.run_waits()
    assert reads == [] and sent == ["r4", "r5"]


def test_unreleased_revisions_are_told_per_conversation_and_range():
    unreleased = UnreleasedRevisions()
    unreleased.hold([(1, 5), (2, 7)])
    assert unreleased.held_between(1, 1, 5) and unreleased.held_between(2, 7, 7)
    assert not unreleased.held_between(1, 6, 9) and not unreleased.held_between(3, 1, 9)
    unreleased.let_go([(1, 5)])
    assert not unreleased.held_between(1, 1, 5) and unreleased.held_between(2, 1, 9)


def test_a_revision_held_elsewhere_is_held_once_asked_here():
    unreleased, elsewhere = UnreleasedRevisions(), UnreleasedRevisions()  # the other: a stand-in for Redis
    unreleased.elsewhere = elsewhere
    unreleased.hold([(1, 5)])  # a job's commit: nobody waits for its answer, the other processes need not know
    assert unreleased.held_between(1, 5, 5) and not elsewhere.held_between(1, 5, 5)
    unreleased.hold([(1, 6), (2, 7)], for_a_transport=True)
    assert elsewhere.held_between(1, 6, 6) and elsewhere.held_between(2, 7, 7)
    unreleased.let_go([(1, 6)], for_a_transport=True)
    assert not elsewhere.held_between(1, 6, 6) and unreleased.held_between(1, 5, 6)
    unreleased.let_go([(1, 5)])
    elsewhere.hold([(1, 9)])  # another process's: asked for too
    assert unreleased.held_between(1, 8, 9) and not unreleased.held_between(1, 1, 8)
