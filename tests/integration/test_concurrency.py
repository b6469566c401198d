"""Many clients sending to one conversation at once: no lost, doubled or misnumbered message."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.chat import create_group, delivery_counts, history, settle
from tests.servers import wait_for

pytestmark = pytest.mark.integration

SENDERS = 5
MESSAGES_EACH = 40


def test_concurrent_senders_get_gapless_seqs_and_every_member_every_message_once(register, connect):
    senders = [register() for _ in range(SENDERS)]
    watcher = register()
    group_id = create_group(senders[0], (*senders[1:], watcher))
    sockets = [connect(sender) for sender in senders]
    watcher_socket = connect(watcher)
    total = SENDERS * MESSAGES_EACH

    def send_all(index: int) -> list[dict]:
        return [sockets[index].call("message:send", {"conversation_id": group_id, "body": f"{index}/{number}",
                                                     "client_id": f"burst-{number}"}, timeout=30)
                for number in range(MESSAGES_EACH)]

    with ThreadPoolExecutor(SENDERS) as pool:
        batches = list(pool.map(send_all, range(SENDERS)))
    acks = [ack for batch in batches for ack in batch]

    assert all(ack["ok"] and ack["duplicate"] is False for ack in acks), [a for a in acks if not a["ok"]][:3]
    assert sorted(ack["message"]["seq"] for ack in acks) == list(range(1, total + 1))
    for batch in batches:  # one sender's messages were sent one after the other
        own_seqs = [ack["message"]["seq"] for ack in batch]
        assert own_seqs == sorted(own_seqs)
    sent_ids = {ack["message"]["id"] for ack in acks}
    assert len(sent_ids) == total
    members = [*sockets, watcher_socket]
    for socket in members:
        wait_for(lambda socket=socket: len(delivery_counts(socket, group_id)) >= total, timeout=60,
                 what="every message at every member")
    sentinel = settle(sockets[0], group_id, *members)
    for socket in members:
        counts = delivery_counts(socket, group_id)
        assert set(counts) == sent_ids | {sentinel["id"]}
        assert set(counts.values()) == {1}
    stored = history(watcher, group_id)
    assert [m["seq"] for m in stored] == list(range(1, total + 2))
    assert {m["id"] for m in stored} == sent_ids | {sentinel["id"]}
