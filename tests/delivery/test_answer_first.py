"""The writer hears its answer before anyone hears of the change: a socket send's ack is on the
wire before any `message:new` for that message, and a REST send's HTTP response is complete
before any socket (the same user's included) gets `message:new` for it."""
from __future__ import annotations

import random

import pytest

from tests.delivery.workload import (
    Changes,
    Writer,
    answer_order,
    answers_not_waited_for,
    revision_order,
    run_writers,
    wait_for_final_revisions,
)
from tests.integration.chat import create_group, open_direct
from tests.servers import ChatUser
from tests.wire_client import WireHub

pytestmark = pytest.mark.integration


def test_answers_come_before_the_events_they_cause(deployment):
    first, last = deployment[0], deployment[-1]
    alice, bob, carol = (ChatUser.register(first.url) for _ in range(3))
    group_id = create_group(alice, (bob, carol))
    direct_id = open_direct(alice, bob)
    hub = WireHub()
    # Alice has a tab on each instance: one writes over its socket, the other over REST.
    alice_tab = hub.connect(first.url, alice.token, "alice-tab")
    alice_other_tab = hub.connect(last.url, alice.token, "alice-other-tab")
    bob_socket = hub.connect(first.url, bob.token, "bob")
    carol_socket = hub.connect(last.url, carol.token, "carol")
    sockets = {alice_tab: [group_id, direct_id], alice_other_tab: [group_id, direct_id],
               bob_socket: [group_id, direct_id], carol_socket: [group_id]}
    writers = [
        Writer(alice, alice_tab, first.url, [group_id, direct_id], writes_left=80),
        Writer(alice, alice_other_tab, last.url, [group_id, direct_id], over_rest=True, writes_left=80),
        Writer(bob, bob_socket, first.url, [group_id, direct_id], over_rest=True, writes_left=40),
        Writer(carol, carol_socket, last.url, [group_id], writes_left=40),
    ]
    try:
        requests = run_writers(hub, writers, random.Random(3), in_flight=3)
        assert all(request.result for request in requests), [r.answer for r in requests if not r.result][:3]
        changes = Changes.from_answers(requests)
        wait_for_final_revisions(hub, sockets, changes)

        order = answer_order(hub, requests)
        print(f"\n{len(deployment)} instance(s): {order.checked} events checked against their answer, "
              f"{order.caused_over_rest} of them caused by REST calls")
        assert order.late == [], answers_not_waited_for(deployment)  # the servers' own account, if any
        report = revision_order(sockets, changes)
        assert order.checked == report.frames  # every event had a known cause, and was checked
        assert report.missing == [] and report.out_of_order == []
        assert 0 < order.caused_over_rest < order.checked
    finally:
        hub.close()
