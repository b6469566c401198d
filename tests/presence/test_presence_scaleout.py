"""Presence across two gunicorn instances sharing a database and a Redis of their own: one user's tabs
on both instances make one presence (online once, offline only after the last tab, from either
instance), and a SIGKILLed worker's users go offline for the others once its Redis key expires."""
from __future__ import annotations

import time

import pytest

from tests.integration.chat import create_group
from tests.presence.test_presence_live import listen, stamped
from tests.servers import ChatUser, instances_over_redis, wait_for

pytestmark = pytest.mark.integration

EXPIRY_SECONDS = 3
GRACE_SECONDS = 1


@pytest.fixture(scope="module")
def instances(tmp_path_factory):
    yield from instances_over_redis(tmp_path_factory, "presence", {
        "PRESENCE_GRACE_SECONDS": str(GRACE_SECONDS), "PRESENCE_EXPIRY_SECONDS": str(EXPIRY_SECONDS),
        "PRESENCE_BATCH_SECONDS": "0.5"})


def test_tabs_on_two_instances_are_one_presence(instances):
    first, second = instances
    alice, bob, closing_later = (ChatUser.register(first.url) for _ in range(3))
    create_group(alice, (bob,))
    create_group(closing_later, (bob,))
    watcher = listen(bob)  # on the first instance
    try:
        later_tab = closing_later.socket()  # on the first instance too
        tab_here, tab_there = alice.socket(), alice.on(second.url).socket()
        wait_for(lambda: stamped(watcher, alice.id), what="alice online")
        tab_here.disconnect()  # her tab on the other instance stays
        # Closed after hers on the same instance: told offline in the batch of her grace check or a later one.
        later_tab.disconnect()
        wait_for(lambda: [entry for _, entry in stamped(watcher, closing_later.id) if entry["online"] is False],
                 what="the first instance's grace check to have run")
        assert len(stamped(watcher, alice.id)) == 1  # it said nothing of alice
        closed_at = time.monotonic()
        tab_there.disconnect()
        wait_for(lambda: len(stamped(watcher, alice.id)) == 2, what="alice offline")
        online, (offline_at, offline) = stamped(watcher, alice.id)
        assert online[1]["online"] is True and offline["online"] is False
        assert offline_at > closed_at  # told once, after her last tab, by the instance that held it
    finally:
        watcher.disconnect()


def test_a_killed_workers_users_go_offline_within_the_expiry(instances):
    first, second = instances
    alice, bob = ChatUser.register(first.url), ChatUser.register(first.url)
    create_group(alice, (bob,))
    watcher = listen(bob)
    try:
        doomed = alice.on(second.url).socket()
        wait_for(lambda: stamped(watcher, alice.id), what="alice online")
        killed_at = time.monotonic()
        second.kill_worker()  # no disconnect handler runs: only the expiry of its Redis key tells
        wait_for(lambda: len(stamped(watcher, alice.id)) == 2, timeout=EXPIRY_SECONDS + 15, what="alice offline")
        offline_at, offline = stamped(watcher, alice.id)[1]
        assert offline["online"] is False and offline["last_seen_at"]
        assert offline_at - killed_at >= GRACE_SECONDS  # not before her process could have been missed
        doomed.disconnect()
        wait_for(second.healthy, what="the second instance's new worker")
    finally:
        watcher.disconnect()
