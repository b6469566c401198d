"""Metrics and readiness of two instances over PostgreSQL, Redis and S3: each instance counts its own
sockets and the messages it stored; online users come from the shared presence, so both agree."""
import pytest
import requests

from tests.ops.live import scrape, scrape_until, value
from tests.servers import ChatUser

pytestmark = pytest.mark.integration


def test_each_instance_counts_its_own(two_instances):
    first, second = two_instances
    alice = ChatUser.register(first.url)
    bob = ChatUser.register(first.url)
    group = alice.api("POST", "/groups", json={"name": "Counted apart", "member_ids": [bob.id]}).json()["conversation"]
    before = [scrape(first.url), scrape(second.url)]
    alice_socket = alice.socket()
    bob_socket = bob.on(second.url).socket()
    try:
        during = [scrape_until(instance.url, lambda samples: value(
            samples, "switchboard_connected_sockets", transport="websocket") == 1, f"one socket on {instance.url}")
            for instance in (first, second)]
        assert value(during[0], "switchboard_online_users") == value(during[1], "switchboard_online_users") >= 2
        for number in range(2):
            assert alice_socket.call("message:send", {"conversation_id": group["id"], "body": f"m{number}"})["ok"]
        after = [scrape_until(first.url, lambda samples: value(samples, "switchboard_messages_stored_total") - value(
            before[0], "switchboard_messages_stored_total") == 2, "two messages stored on the first"),
            scrape(second.url)]
    finally:
        alice_socket.disconnect()
        bob_socket.disconnect()
    assert value(after[1], "switchboard_messages_stored_total") == value(before[1], "switchboard_messages_stored_total")
    assert value(after[0], "switchboard_send_ack_seconds_count") - value(
        before[0], "switchboard_send_ack_seconds_count") == 2
    for instance in (first, second):
        readiness = requests.get(instance.url + "/readyz", timeout=10)
        assert readiness.status_code == 200, readiness.text
        assert {name: check["backend"] for name, check in readiness.json()["checks"].items()} == {
            "database": "postgresql", "message_queue": "redis", "jobs": "redis", "storage": "s3"}
