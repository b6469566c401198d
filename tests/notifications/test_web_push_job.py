"""The push job (actions.web_push.send_message_push) run after things changed since it was queued:
it pushes what the recipient's page would show then, and nothing else."""
from __future__ import annotations

import pytest
from pywebpush import WebPushException
from requests import Response

from actions import web_push
from actions.blocks import block_user
from actions.groups import remove_member
from actions.messages import delete_message, send_message
from extensions import db
from tests.database_apps import ENGINES, engine_app
from tests.factories import make_group, make_user
from tests.helpers import push_keys


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        yield app


@pytest.fixture
def pushed(monkeypatch) -> list[tuple[str, str]]:
    """What the job posted: (endpoint, payload) per push, to no push service."""
    sent = []
    monkeypatch.setattr(web_push, "webpush", lambda subscription, data, **_: sent.append(
        (subscription["endpoint"], data)))
    return sent


@pytest.fixture
def subscribed(app, tmp_path):
    app.config["VAPID_PRIVATE_KEY_FILE"] = str(tmp_path / "vapid_private_key.pem")

    def subscribe(user) -> int:
        row = web_push.subscribe(user, {"endpoint": f"https://fcm.googleapis.com/fcm/send/{user.username}",
                                        "keys": push_keys()})
        return row.id
    return subscribe


def test_a_queued_push_goes_only_where_the_message_would_still_be_shown(alice, bob, carol, subscribed, pushed):
    dave = make_user("dave")
    group = make_group(alice, "Team", [bob, carol, dave])
    bobs, carols, daves = subscribed(bob), subscribed(carol), subscribed(dave)
    kept = send_message(alice, group.id, "still there").message.id
    removed = send_message(alice, group.id, "removed by its author").message.id
    db.session.commit()
    # Meanwhile (the queue was busy): bob blocks alice, carol is removed, alice deletes her second message.
    block_user(bob, alice.id)
    remove_member(alice, group.id, carol.id)
    delete_message(alice, removed)
    db.session.commit()
    for subscription in (bobs, carols, daves):
        for message_id in (kept, removed):
            web_push.send_message_push(subscription, message_id)
    assert [endpoint.rsplit("/", 1)[1] for endpoint, _ in pushed] == [dave.username]


@pytest.mark.parametrize(("status", "retried"), [(400, False), (401, False), (403, False), (413, False),
                                                 (429, True), (500, True), (503, True)])
def test_a_push_the_service_refuses_for_good_is_not_retried(alice, bob, subscribed, monkeypatch, status, retried):
    """A 4xx other than 404/410 (the subscription gone: deleted) and 429 (slow down) is the same answer to
    the same push: the job ends, and says so, instead of failing into five retries and a job_failures row
    (a VAPID key changed since the browsers subscribed would do that for every message to each of them)."""
    answer = Response()
    answer.status_code, answer._content = status, b"refused"

    def refuse(*_args, **_kwargs):
        raise WebPushException("refused", response=answer)

    monkeypatch.setattr(web_push, "webpush", refuse)
    group = make_group(alice, "Team", [bob])
    subscription = subscribed(bob)
    message_id = send_message(alice, group.id, "hello").message.id
    db.session.commit()
    if retried:
        with pytest.raises(WebPushException):
            web_push.send_message_push(subscription, message_id)
    else:
        web_push.send_message_push(subscription, message_id)
    assert db.session.get(web_push.PushSubscription, subscription) is not None  # kept: only 404 and 410 delete
