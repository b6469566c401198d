"""The gateway when its worker is SIGKILLed mid-send: the client resends with the same
hasBeenSentId on a new connection, and every message is stored exactly once."""
from __future__ import annotations

import pytest

from tests.gateway.client import MESSAGE, SEND
from tests.servers import ChatUser, LiveServer, wait_for

pytestmark = pytest.mark.integration

SENDS = 12


def send_all(client, group_id: int, sent_ids: list[str]) -> None:
    for sent_id in sent_ids:
        client.send(SEND, {"contentType": 0, "content": f"body {sent_id}", "chatId": str(group_id),
                           "hasBeenSentId": sent_id})


def test_resends_after_a_killed_worker_store_each_message_once(tmp_path, gateway):
    server = LiveServer(tmp_path, jobs=False)
    server.migrate()
    server.start()
    try:
        alice = ChatUser.register(server.url)
        group_id = alice.api("POST", "/groups", json={"name": "Crash"}).json()["conversation"]["id"]
        sent_ids = [f"k{index}" for index in range(SENDS)]
        first = gateway(server.url)
        assert first.login(alice.token, alice.id)["success"]
        send_all(first, group_id, sent_ids)
        first.response(MESSAGE, hasBeenSentId="k2")  # some are stored, the rest may or may not be
        killed = server.kill_worker()
        first.wait_closed()
        wait_for(lambda: server.healthy() and server.worker_pids() != [killed], what="a new worker")

        second = gateway(server.url)
        assert second.login(alice.token, alice.id)["success"]
        send_all(second, group_id, sent_ids)  # everything again: answers, never doubles
        wait_for(lambda: len([c for c, _ in second.received if c == MESSAGE]) == SENDS, what="every answer")
        answers = [body for command, body in second.received if command == MESSAGE]
        assert all(answer["success"] for answer in answers), answers
        assert [answer["hasBeenSentId"] for answer in answers] == sent_ids
        answered_before = {body["hasBeenSentId"]: body["id"] for command, body in first.received if command == MESSAGE}
        assert answered_before, "the worker was killed before any answer"
        for answer in answers:  # what was answered before the kill is the same message now
            if answer["hasBeenSentId"] in answered_before:
                assert (answer["duplicate"], answer["id"]) == (True, answered_before[answer["hasBeenSentId"]])
        stored = alice.api("GET", f"/conversations/{group_id}/messages?limit=100").json()["messages"]
        assert sorted(message["client_id"] for message in stored) == sorted(sent_ids)
    finally:
        server.stop()
