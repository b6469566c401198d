"""Web Push across two gunicorn instances (and their job consumers) sharing a database and a Redis:
a member whose only socket is on the other instance counts as online (presence in Redis) and is not
pushed; once it is gone, the next message is pushed to them."""
from __future__ import annotations

import pytest
from py_vapid import Vapid

from tests.engines import RedisServer
from tests.integration.chat import group_with, post
from tests.notifications.test_web_push_live import Browser
from tests.servers import ChatUser, start_instances, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def instances(tmp_path_factory, push_service):
    redis_server = RedisServer(tmp_path_factory.mktemp("push-redis")).start()
    shared = tmp_path_factory.mktemp("push-shared")
    key_file = shared / "vapid_private_key.pem"
    vapid = Vapid()
    vapid.generate_keys()
    key_file.write_bytes(vapid.private_pem())
    env = {"DATABASE_URL": f"sqlite:///{shared / 'switchboard.db'}", "SOCKETIO_MESSAGE_QUEUE": redis_server.url,
           "PRESENCE_GRACE_SECONDS": "1", "VAPID_PRIVATE_KEY_FILE": str(key_file), "WEB_PUSH_ALLOW_HTTP": "1",
           "WEB_PUSH_ENDPOINT_HOSTS": push_service.host, "JOBS_POLL_SECONDS": "0.2"}
    servers = start_instances([tmp_path_factory.mktemp("push-a"), tmp_path_factory.mktemp("push-b")], env)
    yield servers
    for server in servers:
        server.stop()
    redis_server.stop()


def test_a_socket_on_the_other_instance_keeps_the_push_away(instances, push_service):
    first, second = instances
    alice, bob, carol = (ChatUser.register(first.url) for _ in range(3))
    group = group_with(alice, bob, carol, name="Across")["id"]
    bobs_browser, carols_browser = Browser(push_service, f"across-bob{bob.id}"), Browser(push_service,
                                                                                        f"across-carol{carol.id}")
    bobs_browser.subscribe(bob)
    carols_browser.subscribe(carol)
    bob_elsewhere = bob.on(second.url).socket(())
    try:
        first_message = post(alice, group, "bob is on the other instance")  # stored through the first
        wait_for(lambda: carols_browser.pushes(), what="carol's push")
        assert [push["message_id"] for push in carols_browser.pushes()] == [first_message["id"]]
    finally:
        bob_elsewhere.disconnect()
    wait_for(lambda: alice.api("GET", f"/users/{bob.id}/presence").json()["presence"]["online"] is False,
             what="bob offline")
    second_message = post(alice, group, "now bob is away")
    wait_for(lambda: bobs_browser.pushes(), what="bob's push")
    assert [push["message_id"] for push in bobs_browser.pushes()] == [second_message["id"]]
