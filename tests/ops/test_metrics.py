"""ops.metrics through the app and against a real Redis: /metrics off without a token, the facts of
each commit counted once, HTTP requests timed by route template, and the message queue's publish
errors, resubscriptions and degraded state."""
from __future__ import annotations

import threading
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ops import metrics
from realtime.bus import RedisBus
from tests.servers import wait_for

TOKEN = "unit-test-metrics-token"


@pytest.fixture
def app_settings(request):
    """A Redis message queue of its own for the tests that ask for `bus_redis`."""
    settings = {"METRICS_TOKEN": TOKEN}
    if "bus_redis" in request.fixturenames:
        settings["SOCKETIO_MESSAGE_QUEUE"] = request.getfixturevalue("bus_redis").url
    return settings


@pytest.fixture
def bus_redis(stoppable_redis):
    return stoppable_redis


def scraped(client) -> dict:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for sample in family.samples}


def counted(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.mark.parametrize("app_settings", [{"METRICS_TOKEN": ""}])
def test_metrics_are_off_without_a_token(client):
    response = client.get("/metrics", headers={"Authorization": "Bearer "})
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_metrics_need_the_token_as_a_bearer_token(client):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": "Bearer "}, {"Authorization": TOKEN}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized", headers
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert client.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200


def test_facts_are_counted_once_after_their_commit(client, sockets, group, alice):
    before = scraped(client)
    ack = sockets["alice"].emit("message:send", {"conversation_id": group.id, "body": "counted"}, callback=True)
    assert ack["ok"], ack
    refused = sockets["alice"].emit("message:send", {"conversation_id": group.id, "body": ""}, callback=True)
    assert not refused["ok"]  # rolled back: nothing released, nothing counted
    after = scraped(client)
    stored = "switchboard_messages_stored_total"
    assert counted(after, stored) - counted(before, stored) == 1
    assert counted(after, "switchboard_events_delivered_total", event="MessageCreated") - counted(
        before, "switchboard_events_delivered_total", event="MessageCreated") == 1
    assert counted(after, "switchboard_online_users") == 3


def test_http_requests_are_timed_by_route_template(client, auth, group):
    auth.login()
    before = scraped(client)
    assert client.get(f"/api/conversations/{group.id}/messages").status_code == 200
    assert client.get("/api/conversations/999999/messages").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    after = scraped(client)
    route = "/api/conversations/<id:conversation_id>/messages"

    def moved(**labels: str) -> float:
        return counted(after, "switchboard_http_request_seconds_count", **labels) - counted(
            before, "switchboard_http_request_seconds_count", **labels)

    assert moved(route=route, method="GET", status="200") == 1
    assert moved(route=route, method="GET", status="404") == 1
    assert moved(route="unmatched", method="GET", status="404") == 1
    # Templates only, never a request's path (the registry is the process's: earlier tests' routes are there too,
    # and the rules some tests add to their own app, all named /test-…, e.g. tests/test_error_pages.py's).
    routes = {dict(labels)["route"] for name, labels in after if name == "switchboard_http_request_seconds_count"}
    templates = {rule.rule for rule in client.application.url_map.iter_rules()}
    assert {route for route in routes - templates if not route.startswith("/test-")} == {"unmatched"}
    assert not {f"/api/conversations/{group.id}/messages", "/api/conversations/999999/messages",
                "/no/such/page"} & routes


def test_bus_publish_errors_resubscriptions_and_degraded_state(stoppable_redis):
    received: list[list[dict]] = []

    def start(task):
        threading.Thread(target=task, daemon=True).start()

    bus = RedisBus(stoppable_redis.url, received.append, start, time.sleep)
    bus.start_receiving()
    # Published until one comes back: the subscription starts in the background.
    wait_for(lambda: bus.publish([{"emit": "first"}]) or received, what="a frame back through Redis")
    errors, reconnects = metrics.BUS_PUBLISH_ERRORS._value.get(), metrics.BUS_RECONNECTS._value.get()
    stoppable_redis.stop()
    bus.publish([{"emit": "while down"}])  # delivered here only, and counted
    assert metrics.BUS_PUBLISH_ERRORS._value.get() == errors + 1 and bus.state == "degraded"
    stoppable_redis.start()
    wait_for(lambda: metrics.BUS_RECONNECTS._value.get() == reconnects + 1, what="the subscription made again")
    wait_for(lambda: bus.state == "ok", what="the bus back to ok")


def test_the_degraded_bus_shows_on_metrics(bus_redis, client, sockets, group):
    assert counted(scraped(client), "switchboard_bus_degraded") == 0
    bus_redis.stop()
    ack = sockets["alice"].emit("message:send", {"conversation_id": group.id, "body": "while down"}, callback=True)
    assert ack["ok"], ack  # stored and acknowledged all the same
    assert counted(scraped(client), "switchboard_bus_degraded") == 1
    bus_redis.start()
    wait_for(lambda: counted(scraped(client), "switchboard_bus_degraded") == 0, what="the bus back")


def test_a_scrape_with_the_database_down_leaves_out_what_needs_it(tmp_path, closed_port):
    from tests.database_apps import testing_app as build_app

    app = build_app(f"postgresql+psycopg://nobody@127.0.0.1:{closed_port}/nothing", tmp_path,
                    {"METRICS_TOKEN": TOKEN})
    with app.app_context():
        samples = scraped(app.test_client())
    assert counted(samples, "switchboard_connected_sockets", transport="websocket") == 0
    assert ("switchboard_online_users", frozenset()) in samples
    assert not any(name.startswith("switchboard_jobs_failures") for name, _labels in samples)
