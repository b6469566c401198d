"""realtime.held_elsewhere: a process's holds reach the others over the bus; a frame of the revision lets go."""
from events.unreleased import UnreleasedRevisions
from realtime.deliveries import Deliveries
from realtime.held_elsewhere import tell_holds_over


class SharedBus:
    """What Redis does for the processes: every publication to every subscriber, its publisher included."""

    def __init__(self) -> None:
        self.processes: list[Deliveries] = []

    def publish(self, frames: list[dict]) -> None:
        for deliveries in self.processes:
            deliveries.receive(frames)


def process(bus: SharedBus) -> tuple[UnreleasedRevisions, list[dict]]:
    unreleased, delivered = UnreleasedRevisions(), []
    deliveries = Deliveries(delivered.extend, start_background_task=None, sleep=None)
    tell_holds_over(bus, deliveries, unreleased)
    bus.processes.append(deliveries)
    return unreleased, delivered


def test_a_hold_for_a_transport_reaches_the_other_processes_until_a_frame_of_it_arrives():
    bus = SharedBus()
    (holder, holder_delivered), (other, other_delivered) = process(bus), process(bus)
    holder.hold([(1, 2)])  # a job's commit: nobody waits for an answer, nobody is told
    assert not other.held_between(1, 2, 2)
    holder.let_go([(1, 2)])
    holder.hold([(1, 3), (4, 9)], for_a_transport=True)
    assert other.held_between(1, 3, 3) and other.held_between(4, 9, 9)
    holder.let_go([(1, 3), (4, 9)])  # released: its frames follow on the bus
    assert other.held_between(1, 3, 3) and not holder.held_between(1, 1, 9)  # its own notice came back, ignored
    frame = {"emit": "message:new", "room": "conversation:1", "data": {}, "order": [1, 3]}
    bus.publish([frame])
    assert not other.held_between(1, 3, 3) and other.held_between(4, 9, 9)
    assert other_delivered == [frame] == holder_delivered  # the notices go to no delivery of the transports
