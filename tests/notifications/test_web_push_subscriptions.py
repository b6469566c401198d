"""How many browsers one account is pushed to (actions.web_push.SUBSCRIPTIONS_PER_USER)."""
from __future__ import annotations

import pytest

from actions.web_push import SUBSCRIPTIONS_PER_USER, subscribe, subscriptions_of
from tests.database_apps import ENGINES, engine_app
from tests.helpers import push_keys


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        yield app


def browser(name: str) -> dict:
    return {"endpoint": f"https://fcm.googleapis.com/fcm/send/{name}", "keys": push_keys()}


def test_one_browser_more_than_the_limit_forgets_the_one_subscribed_longest_ago(alice, bob):
    """Before, every subscription was kept: 300 made by one account turned each message to it into 300
    requests to push services."""
    assert SUBSCRIPTIONS_PER_USER == 20
    for number in range(SUBSCRIPTIONS_PER_USER):
        subscribe(alice, browser(f"alice{number}"))
    subscribe(bob, browser("bob"))
    subscribe(alice, browser("alice0"))  # subscribed again: updated, nothing forgotten
    assert len(subscriptions_of(alice)) == SUBSCRIPTIONS_PER_USER
    subscribe(alice, browser("alice-new"))
    endpoints = [row.endpoint.rsplit("/", 1)[1] for row in subscriptions_of(alice)]
    assert endpoints == [*(f"alice{number}" for number in range(1, SUBSCRIPTIONS_PER_USER)), "alice-new"]
    assert [row.endpoint for row in subscriptions_of(bob)] == [browser("bob")["endpoint"]]  # others keep theirs
