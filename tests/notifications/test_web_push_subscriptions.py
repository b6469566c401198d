"""Subscribing a browser: what a subscription must be, and how many browsers one account is pushed to
(actions.web_push.SUBSCRIPTIONS_PER_USER)."""
from __future__ import annotations

import pytest

from actions.web_push import SUBSCRIPTIONS_PER_USER, subscribe, subscriptions_of
from tests.database_apps import ENGINES, engine_app
from tests.helpers import bearer, database_rows, push_keys


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


def test_a_tokens_subscriptions_end_with_every_token_of_the_account(alice, bob):
    """A subscription made with a bearer token has no login to end with: a stolen token's holder subscribed
    their own push endpoint and went on being pushed the account's messages, text and sender included, after
    the owner changed the password (which revokes every token and logs every other login out), and after an
    operator's reset. Those end every token, and the subscriptions no login holds with them; a login's own
    subscription ends with its login, as before (the caller's login here goes on)."""
    from actions.passwords import change_password
    from actions.user_admin import reset_password
    from extensions import db
    from tests.factories import PASSWORD, make_user

    subscribe(alice, browser("thief"))  # a token's: no login
    subscribe(bob, browser("bob"))
    change_password(alice, PASSWORD, "another horse battery staple")
    db.session.commit()
    assert subscriptions_of(alice) == [] and len(subscriptions_of(bob)) == 1

    subscribe(bob, browser("thief-of-bob"))
    db.session.commit()
    reset_password(make_user("olga", role="admin"), bob.id, "temporary horse battery")
    db.session.commit()
    assert subscriptions_of(bob) == []


def test_a_subscription_that_is_not_one_is_invalid_subscription_whatever_part_is_wrong(client, alice):
    """docs/protocol.md: a subscription that is not {endpoint, keys: {p256dh, auth}}, an https endpoint of at
    most 2,048 characters and base64url keys, is 400 invalid_subscription. A missing, non-text, too long or
    control-character endpoint or key answered invalid_endpoint, invalid_p256dh or invalid_auth, codes a
    client written from the doc does not know (found by probing a live server from the doc)."""
    from tests.helpers import bearer

    good = browser("alice")
    endpoint, keys = good["endpoint"], good["keys"]
    for subscription in ({"keys": keys}, {"endpoint": 5, "keys": keys}, {"endpoint": "", "keys": keys},
                         {"endpoint": "https://fcm.googleapis.com/" + "a" * 2030, "keys": keys},
                         {"endpoint": endpoint + "\x01", "keys": keys}, {"endpoint": endpoint, "keys": {}},
                         {"endpoint": endpoint, "keys": {**keys, "p256dh": 5}},
                         {"endpoint": endpoint, "keys": {**keys, "p256dh": "A" * 129}},
                         {"endpoint": endpoint, "keys": {"p256dh": keys["p256dh"]}},
                         {"endpoint": endpoint, "keys": {**keys, "auth": "a" * 65}}):
        response = client.post("/api/push/subscriptions", json={"subscription": subscription}, headers=bearer(alice))
        assert (response.status_code, response.get_json()["error"]["code"]) == (400, "invalid_subscription"), (
            subscription)
    assert subscriptions_of(alice) == []
    # Unsubscribing names one field of the request's own: its code stays the field's.
    response = client.delete("/api/push/subscriptions", json={"endpoint": 5}, headers=bearer(alice))
    assert response.get_json()["error"]["code"] == "invalid_endpoint"


def test_a_field_subscribing_or_unsubscribing_does_not_take_is_refused(client, alice):
    """docs/protocol.md, Input: `includeText` for `include_text` subscribed the browser with the text
    shown (the default), `all` on unsubscribing was ignored. Both are 400 invalid_field, nothing changed."""
    headers = bearer(alice)
    before = database_rows()
    response = client.post("/api/push/subscriptions", json={"subscription": browser("alice"), "includeText": False},
                           headers=headers)
    assert (response.status_code, response.get_json()["error"]["code"]) == (400, "invalid_field")
    assert database_rows() == before
    subscribed = browser("alice")
    assert client.post("/api/push/subscriptions", json={"subscription": subscribed}, headers=headers).status_code == 201
    before = database_rows()
    response = client.delete("/api/push/subscriptions", json={"endpoint": subscribed["endpoint"], "all": True},
                             headers=headers)
    assert (response.status_code, response.get_json()["error"]["code"]) == (400, "invalid_field")
    assert database_rows() == before
