"""Background jobs in a scaled-out deployment: a job queued by one instance runs once, on whichever
consumer takes it from the shared Redis queue, and the events it makes reach the sockets of every
instance over the Redis bus (the consumer is a process of its own, without gevent's monkey patching)."""
import pytest

from tests.integration.chat import create_group
from tests.servers import ChatUser, wait_for

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
