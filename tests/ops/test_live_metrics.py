"""/metrics of a real gunicorn server (multiprocess mode) as clients chat over websockets and
long-polling, and its counters surviving the worker being killed."""
from __future__ import annotations

import uuid

import pytest
import requests
import socketio

from tests.ops.live import METRICS_TOKEN, scrape, scrape_until, value
from tests.servers import ChatUser, LiveServer, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("ops-metrics")
    (workdir / "metrics").mkdir()
    # The job consumer shares the folder, as docs/deployment.md says to run it.
    env = {"METRICS_TOKEN": METRICS_TOKEN, "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics")}
    live = LiveServer(workdir, env=env)
    live.migrate()
    yield live.start()
    live.stop()


def sockets(samples, transport: str) -> float:
    return value(samples, "switchboard_connected_sockets", transport=transport)


def test_metrics_need_the_token(server):
    assert requests.get(server.url + "/metrics", timeout=5).status_code == 401
    wrong = requests.get(server.url + "/metrics", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "unauthorized"
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")


def test_counters_move_as_clients_chat(server):
    before = scrape(server.url)
    alice, bob = ChatUser.register(server.url), ChatUser.register(server.url)
    registered = scrape(server.url)
    assert value(registered, "switchboard_http_request_seconds_count", route="/api/accounts", method="POST",
                 status="201") - value(before, "switchboard_http_request_seconds_count", route="/api/accounts",
                                       method="POST", status="201") == 2
    group = alice.api("POST", "/groups", json={"name": "Metrics", "member_ids": [bob.id]}).json()["conversation"]
    alice_socket, bob_socket = alice.socket(), bob.socket()
    polling = socketio.Client(reconnection=False)
    polling.connect(server.url, auth={"token": bob.token}, transports=["polling"], wait_timeout=10)
    try:
        connected = scrape_until(server.url, lambda samples: sockets(samples, "websocket") == 2
                                 and sockets(samples, "polling") == 1, "three sockets counted")
        assert value(connected, "switchboard_online_users") == 2
        for number in range(3):
            ack = alice_socket.call("message:send", {"conversation_id": group["id"], "body": f"counted {number}"})
            assert ack["ok"], ack
        refused = alice_socket.call("message:send", {"conversation_id": group["id"], "body": ""})
        assert refused["ok"] is False
        wait_for(lambda: len(bob_socket.received["message:new"]) == 3, what="bob's three messages")
        chatted = scrape_until(server.url, lambda samples: value(
            samples, "switchboard_events_delivered_total", event="MessageCreated") - value(
            connected, "switchboard_events_delivered_total", event="MessageCreated") == 3,
            "three MessageCreated delivered")
    finally:
        alice_socket.disconnect()
        bob_socket.disconnect()
        polling.disconnect()

    def moved(name: str, **labels: str) -> float:
        return value(chatted, name, **labels) - value(connected, name, **labels)

    assert moved("switchboard_messages_stored_total") == 3
    assert moved("switchboard_send_ack_seconds_count") == 4  # the refused send is acknowledged too
    assert moved("switchboard_socket_event_seconds_count", event="message:send", outcome="ok") == 3
    assert moved("switchboard_socket_event_seconds_count", event="message:send", outcome="refused") == 1
    assert moved("switchboard_http_request_seconds_count", route="/metrics", method="GET", status="200") >= 1
    closed = scrape_until(server.url, lambda samples: sockets(samples, "websocket") == 0
                          and sockets(samples, "polling") == 0, "the sockets gone")
    assert value(closed, "switchboard_online_users") == 0
    assert value(closed, "switchboard_db_pool_size") >= 1
    assert ("switchboard_jobs_waiting", frozenset({("state", "queued")})) in closed


def test_counters_survive_a_killed_worker(server):
    """Multiprocess mode: the dead worker's counts stay in the folder and are summed with the new one's."""
    alice = ChatUser.register(server.url)
    group = alice.api("POST", "/groups", json={"name": "Survivors"}).json()["conversation"]
    alice_socket = alice.socket()
    try:
        assert alice_socket.call("message:send", {"conversation_id": group["id"], "body": "before"})["ok"]
        before = scrape_until(server.url, lambda samples: sockets(samples, "websocket") == 1, "the socket counted")
    finally:
        alice_socket.disconnect()
    killed = server.kill_worker()
    wait_for(lambda: server.worker_pids() and killed not in server.worker_pids() and server.healthy(),
             what="a new worker")
    after = scrape(server.url)
    for name in ("switchboard_messages_stored_total", "switchboard_send_ack_seconds_count"):
        assert value(after, name) == value(before, name) > 0, name
    assert sockets(after, "websocket") == 0  # read from the new worker's own connections


def test_gateway_connections_are_counted_as_im(server):
    from tests.gateway.client import GatewayClient

    client = GatewayClient(server.url)
    try:
        open_now = scrape_until(server.url, lambda samples: sockets(samples, "im") == 1, "the gateway connection")
        assert not any(name.startswith("switchboard_http_request") and ("route", "/ws/im") in labels
                       for name, labels in open_now)  # a connection is counted, not timed as a request
    finally:
        client.close()
    scrape_until(server.url, lambda samples: sockets(samples, "im") == 0, "the gateway connection closed")


def test_the_job_consumers_counts_are_summed_in(server):
    """A broadcast's messages are stored by the job consumer, another process: counted there, scraped here."""
    username, password = f"op{uuid.uuid4().hex[:8]}", "operator password 1"
    token = server.operator_token(username, password)
    before = scrape(server.url)
    queued = requests.post(server.url + "/api/admin/broadcasts", json={"body": "maintenance tonight"},
                           headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert queued.status_code == 202, queued.text
    recipients = queued.json()["recipients"]
    stored = "switchboard_messages_stored_total"
    scrape_until(server.url, lambda samples: value(samples, stored) - value(before, stored) == recipients,
                 f"the {recipients} notices the consumer stored")
