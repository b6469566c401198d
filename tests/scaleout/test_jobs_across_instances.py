"""Background jobs in a scaled-out deployment: a job queued by one instance runs once, on whichever
consumer takes it from the shared Redis queue, and the events it makes reach the sockets of every
instance over the Redis bus (the consumer is a process of its own, without gevent's monkey patching)."""
import uuid

import pytest
import requests

from tests.integration.chat import create_group
from tests.servers import PASSWORD, ChatUser, wait_for

pytestmark = pytest.mark.integration

PURGE = "Executing actions.group_admin.purge_deleted_group"


def test_a_deleted_groups_job_runs_once_and_its_events_reach_the_other_instance(two_instances):
    first, second = two_instances
    owner, member = ChatUser.register(first.url), ChatUser.register(first.url)
    group_id = create_group(owner, (member,))
    runs_before = sum(server.consumer.log_text().count(PURGE) for server in two_instances)
    events = ("conversation:updated", "conversation:removed")
    here, there = owner.socket(events), member.on(second.url).socket(events)
    try:
        assert owner.api("DELETE", f"/groups/{group_id}").status_code == 202  # on the first instance
        wait_for(lambda: there.received["conversation:updated"], what="the archiving, told at once")
        # The job's end: the group gone, told to the members' sockets on both instances.
        removed = [wait_for(lambda socket=socket: socket.received["conversation:removed"], timeout=15,
                            what="conversation:removed")[0] for socket in (here, there)]
        assert [(event["conversation_id"], event["reason"]) for event in removed] == [(group_id, "deleted")] * 2
        assert sum(server.consumer.log_text().count(PURGE) for server in two_instances) - runs_before == 1
    finally:
        here.disconnect()
        there.disconnect()


def test_a_broadcast_queued_on_one_instance_reaches_a_socket_on_the_other(two_instances):
    first, second = two_instances
    operator = f"op{uuid.uuid4().hex[:8]}"
    first.create_operator(operator, PASSWORD)
    token = requests.post(first.url + "/api/tokens", json={"username": operator, "password": PASSWORD},
                          timeout=10).json()["token"]
    reader = ChatUser.register(first.url)
    there = reader.on(second.url).socket(("message:new",))
    try:
        body = f"maintenance tonight {uuid.uuid4().hex[:6]}"
        answer = requests.post(first.url + "/api/admin/broadcasts", json={"body": body}, timeout=10,
                               headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 202, answer.text
        told = wait_for(lambda: [event for event in there.received["message:new"]
                                 if event["message"]["body"] == body], timeout=15, what="the broadcast")
        assert len(told) == 1
    finally:
        there.disconnect()
