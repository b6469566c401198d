"""Many writers at once in a few groups and direct chats: every connection receives the changes
of each conversation in revision order, none lost, and ends with what the database holds."""
from __future__ import annotations

import random

import pytest

from tests.delivery.workload import (
    Changes,
    Writer,
    answer_order,
    answers_not_waited_for,
    live_state,
    revision_order,
    run_writers,
    snapshot,
    wait_for_final_revisions,
)
from tests.integration.chat import create_group, history, open_direct
from tests.servers import ChatUser
from tests.wire_client import WireHub

pytestmark = pytest.mark.integration

USERS = 18
GROUPS = 3
GROUP_SIZE = 8
DIRECT_CHATS = 15
WRITES = {1: 1000, 2: 1500}  # by the number of instances


def test_every_connection_gets_each_conversations_changes_in_revision_order(deployment, request):
    rng = random.Random(7)
    servers = deployment
    users = [ChatUser.register(servers[0].url) for _ in range(USERS)]
    conversations_of: dict[int, list[int]] = {user.id: [] for user in users}
    members_of: dict[int, list[ChatUser]] = {}
    for _ in range(GROUPS):
        owner, *others = rng.sample(users, GROUP_SIZE)
        members_of[create_group(owner, tuple(others))] = [owner, *others]
    for index in range(DIRECT_CHATS):  # a ring, so that everyone has someone to talk to
        pair = [users[index], users[(index + 1) % USERS]]
        members_of[open_direct(*pair)] = pair
    for conversation_id, members in members_of.items():
        for member in members:
            conversations_of[member.id].append(conversation_id)

    hub = WireHub()
    sockets, writers = {}, []
    for index, user in enumerate(users):
        # Each user on one instance; four of them with a second tab on the next one.
        for place in range(2 if index < 4 else 1):
            server = servers[(index + place) % len(servers)]
            wire = hub.connect(server.url, user.token, f"{user.username}@{server.port}")
            sockets[wire] = conversations_of[user.id]
            writers.append(Writer(user, wire, server.url, conversations_of[user.id], over_rest=index % 4 == 3))
    for number in range(WRITES[len(servers)]):
        writers[number % len(writers)].writes_left += 1
    try:
        requests = run_writers(hub, writers, rng)
        failed = [request.answer for request in requests if not request.result]
        assert not failed, failed[:3]
        changes = Changes.from_answers(requests)
        for conversation_id, revisions in changes.by_conversation.items():
            assert sorted(revisions) == list(range(1, len(revisions) + 1)), f"conversation {conversation_id}"
        wait_for_final_revisions(hub, sockets, changes)

        report = revision_order(sockets, changes)
        order = answer_order(hub, requests)
        print(f"\n{len(servers)} instance(s): {len(requests)} writes, {report.frames} message events at "
              f"{len(sockets)} connections, {order.checked} checked against their answer, "
              f"{report.superseded} revisions skipped for a later one")
        assert report.out_of_order == []
        assert report.missing == []
        assert report.doubled == []
        for conversation_id, members in members_of.items():
            stored = snapshot(history(members[0], conversation_id))
            for wire, conversation_ids in sockets.items():
                if conversation_id in conversation_ids:
                    assert live_state(wire, conversation_id) == stored, (wire.name, conversation_id)
        assert order.late == [], answers_not_waited_for(servers)  # the servers' own account, if any
    finally:
        hub.close()
