"""Room changes and cuts made while Redis is down (realtime/reconcile.py): two instances over PostgreSQL
+ Redis; while the bus is degraded, a change made on instance A never reaches instance B's connections
as a frame, so once B's bus is back B reads its connections again: a member removed on A stops
receiving the group on B, one who joined on A starts, a deactivated user's socket and gateway
connection on B are cut, and so is a browser's socket whose session was logged out on A.

Each test waits for B's log line saying it corrected its connections before it sends what they must
(or must not) receive, and a later message in another conversation shows that everything sent before
it was delivered: a message that must not arrive is looked for only once that one has."""
from __future__ import annotations

import pytest
import requests

from tests.engines import PostgresServer, RedisServer
from tests.gateway.client import PUSH, GatewayClient
from tests.servers import Browser, ChatUser, start_instances, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.faults]

CORRECTED = "sockets corrected after the outage"  # realtime.reconcile's log line for the Socket.IO delivery
OPERATOR, OPERATOR_PASSWORD = "outageop", "operator secret password 1"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    postgres = PostgresServer().start()
    redis = RedisServer(tmp_path_factory.mktemp("outage-rooms-redis")).start()
    env = {"DATABASE_URL": postgres.url, "SOCKETIO_MESSAGE_QUEUE": redis.url}
    instances = start_instances([tmp_path_factory.mktemp(f"outage-rooms-{i}") for i in range(2)], env, jobs=False)
    instances[0].create_operator(OPERATOR, OPERATOR_PASSWORD)
    yield instances, redis
    for instance in instances:
        instance.stop()
    redis.stop()
    postgres.stop()


def states(socket) -> list[str]:
    return [event["state"] for event in socket.received["delivery_status"]]


def during_outage(deployment, change, *b_sockets) -> None:
    """`change()` made on instance A with Redis down; then Redis back, B's sockets told "ok" and B's
    connections corrected (its log says so, once more than before)."""
    (_a, b), redis = deployment
    corrected_before = b.log_text().count(CORRECTED)
    redis.stop()
    change()
    redis.start()
    for socket in b_sockets:
        wait_for(lambda socket=socket: states(socket)[-2:] == ["degraded", "ok"], timeout=30, what="degraded, then ok")
    wait_for(lambda: b.log_text().count(CORRECTED) > corrected_before, timeout=30, what="B's correction")


def bodies(socket, conversation_id: int) -> list[str]:
    return [event["message"]["body"] for event in socket.received["message:new"]
            if event["message"]["conversation_id"] == conversation_id]


EVENTS = ("message:new", "delivery_status")


def test_a_member_removed_or_joined_meanwhile_receives_as_a_member_would(deployment):
    (a, b), _redis = deployment
    owner, removed, staying, joining = (ChatUser.register(a.url) for _ in range(4))
    kept = owner.api("POST", "/groups", json={"name": "Kept", "member_ids": [removed.id, staying.id]}).json()[
        "conversation"]["id"]
    public = owner.api("POST", "/groups", json={"name": "Open", "visibility": "public"}).json()["conversation"]["id"]
    marker = owner.api("POST", "/direct", json={"user_id": removed.id}).json()["conversation"]["id"]
    removed_socket, staying_socket, joining_socket = (user.on(b.url).socket(EVENTS)
                                                      for user in (removed, staying, joining))
    owner_socket = owner.socket(EVENTS)
    try:
        def change():
            assert owner.api("DELETE", f"/groups/{kept}/members/{removed.id}").status_code == 200
            assert joining.api("POST", f"/groups/{public}/join").status_code == 200

        during_outage(deployment, change, removed_socket, staying_socket, joining_socket)
        for conversation_id, body in ((kept, "after the removal"), (public, "after the join")):
            assert owner_socket.call("message:send", {"conversation_id": conversation_id, "body": body})["ok"]
        wait_for(lambda: "after the join" in bodies(joining_socket, public), what="the joined group's message")
        # Instance B emitted the message to the group's room once a member there has it (after the gap
        # the removal's note left, filled from the database); the marker, emitted on B after it, comes
        # after it on the removed member's connection if it was sent there too.
        wait_for(lambda: "after the removal" in bodies(staying_socket, kept), what="the group's message on B")
        assert owner_socket.call("message:send", {"conversation_id": marker, "body": "marker"})["ok"]
        wait_for(lambda: bodies(removed_socket, marker) == ["marker"], what="the marker")
        assert "after the removal" not in bodies(removed_socket, kept)
    finally:
        for socket in (removed_socket, staying_socket, joining_socket, owner_socket):
            socket.disconnect()


def test_connections_whose_credentials_ended_meanwhile_are_cut(deployment):
    (a, b), _redis = deployment
    friend, victim = ChatUser.register(a.url), ChatUser.register(a.url)
    assert friend.api("POST", "/groups", json={"name": "Team", "member_ids": [victim.id]}).status_code == 201
    victim_socket = victim.on(b.url).socket(EVENTS)
    gateway = GatewayClient(b.url)
    assert gateway.login(victim.token, victim.id)["success"]
    browser_user = ChatUser.register(a.url)
    browser, other_device = Browser(b, browser_user.username), Browser(a, browser_user.username)
    browser_socket = browser.socket()
    browser_statuses = []
    browser_socket.on("delivery_status", browser_statuses.append)
    ended_session = browser.session_id()
    bystander = ChatUser.register(a.url)
    bystander_socket = bystander.on(b.url).socket(EVENTS)  # nothing of theirs changed: stays
    operator = requests.post(a.url + "/api/tokens", json={"username": OPERATOR, "password": OPERATOR_PASSWORD},
                             timeout=10).json()["token"]
    try:
        def change():
            deactivated = requests.post(f"{a.url}/api/admin/users/{victim.id}/deactivate", timeout=20,
                                        headers={"Authorization": f"Bearer {operator}"})
            assert deactivated.status_code == 200, deactivated.text
            assert other_device.api("DELETE", f"/sessions/{ended_session}").status_code == 200

        during_outage(deployment, change, victim_socket, bystander_socket)
        wait_for(lambda: not victim_socket.client.connected, what="the deactivated user's socket cut")
        wait_for(lambda: not browser_socket.connected, what="the logged-out browser's socket cut")
        closed = gateway.wait_closed()
        assert closed.code == 1008
        assert [body for command, body in gateway.received if command == PUSH and body.get("type") == "closed"] == [
            {"type": "closed", "errorCode": "unauthorized",
             "errorMsg": "The token this connection logged in with no longer works: log in again."}]
        assert bystander_socket.client.connected  # read again and kept (the correction is over: its log line)
        assert [state["state"] for state in browser_statuses][-1:] == ["ok"]
    finally:
        for socket in (victim_socket, bystander_socket):
            socket.disconnect()
        browser.close()
        gateway.close()
