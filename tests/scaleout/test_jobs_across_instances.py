"""Background jobs in a scaled-out deployment: a job queued by one instance runs once, on whichever
consumer takes it from the shared Redis queue, and the events it makes reach the sockets of every
instance over the Redis bus (the consumer is a process of its own, without gevent's monkey patching)."""
import io
import os
import signal
import uuid

import pytest
import redis
import requests
from PIL import Image

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
    token = first.operator_token(operator, PASSWORD)
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


def test_a_thumbnail_made_after_the_send_reaches_a_socket_on_the_other_instance(two_instances, redis_server):
    """An image sent to the first instance before its thumbnail was made: the job's message:updated (now
    with thumbnail_url) reaches the members' sockets on both instances, once. The consumers are held
    (SIGSTOP) until the message is sent, so the job runs after it, and only the second instance's is let go
    first, so the job runs there: it reads the file the first instance stored (the shared bucket)."""
    first, second = two_instances
    owner, member = ChatUser.register(first.url), ChatUser.register(first.url)
    group_id = create_group(owner, (member,))
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(picture, "PNG")
    here, there = owner.socket(("message:updated",)), member.on(second.url).socket(("message:updated",))
    consumers = [server.consumer.process for server in two_instances]
    for process in consumers:
        os.kill(process.pid, signal.SIGSTOP)
    try:
        try:
            try:
                # A held consumer's read of the queue (BRPOP) ends at its timeout: until then Redis could hand
                # it the job.
                with redis.Redis.from_url(redis_server.url) as bus:
                    wait_for(lambda: bus.info("clients")["blocked_clients"] == 0,
                             what="the held consumers' reads of the queue to end")
                upload = owner.api("POST", f"/conversations/{group_id}/files",
                                   files={"file": ("red.png", picture.getvalue(), "image/png")})
                attachment_id = upload.json()["attachment"]["id"]
                sent = owner.api("POST", f"/conversations/{group_id}/messages", json={"attachment_id": attachment_id})
                assert sent.status_code in (200, 201), sent.text
                message = sent.json()["message"]
                assert message["attachment"]["thumbnail_url"] is None  # not made yet: the consumers are held
            finally:
                os.kill(consumers[1].pid, signal.SIGCONT)
            for socket in (here, there):
                wait_for(lambda socket=socket: socket.received["message:updated"], timeout=30,
                         what="message:updated with the thumbnail")
            assert "Executing actions.files.make_attachment_thumbnail" in second.consumer.log_text()
        finally:
            os.kill(consumers[0].pid, signal.SIGCONT)  # whatever happened above: held, it would not stop
        # A marker after it (an edit), so that a second copy of the job's event would be seen.
        assert owner.api("PATCH", f"/messages/{message['id']}", json={"body": "red"}).status_code == 200
        for socket in (here, there):
            updated = wait_for(lambda socket=socket: [event for event in socket.received["message:updated"]
                                                      if event["message"]["body"] == "red"] and
                               socket.received["message:updated"], what="the edit")
            assert [(event["message"]["id"], bool(event["message"]["attachment"]["thumbnail_url"]),
                     event["message"]["body"]) for event in updated] == [(message["id"], True, ""),
                                                                         (message["id"], True, "red")]
    finally:
        here.disconnect()
        there.disconnect()
