"""The back office's Operations page (admin/operations.py, ops/figures.py): operators only, the
figures of this instance and of every dependency, and the JSON its script refreshes them from."""
from __future__ import annotations

import pytest

from tests.helpers import events


@pytest.fixture
def sockets_of_two(alice, bob, group, socket_client_for):
    made = [socket_client_for("alice"), socket_client_for("bob")]
    for socket in made:
        events(socket)
    return made


def test_operators_only(client, user_client):
    assert client.get("/admin/operations/").status_code == 302  # to the login page
    assert client.get("/admin/operations/figures.json").status_code == 302
    assert user_client.get("/admin/operations/").status_code == 403
    assert user_client.get("/admin/operations/figures.json").status_code == 403


def test_the_page_shows_every_figure_and_refreshes_from_figures_json(operator_client):
    page = operator_client.get("/admin/operations/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-refresh-url="/admin/operations/figures.json"' in html and "js/admin-live.js" in html
    figures = operator_client.get("/admin/operations/figures.json")
    assert figures.status_code == 200 and figures.headers["Cache-Control"] == "no-store"
    texts = figures.get_json()
    for name in texts:
        assert f'data-figure="{name}"' in html, name
    assert {"readiness", "readiness.database", "readiness.message_queue", "readiness.jobs", "readiness.storage",
            "online_users", "messages_last_minute", "send_ack_p50_ms", "send_ack_p99_ms", "errors_recent",
            "sockets.websocket", "sockets.polling", "jobs.queued", "jobs.failed"} <= set(texts)
    assert texts["readiness"] == "ready" and texts["readiness.database"].startswith("up, ")


def test_figures_follow_the_chat(operator_client, sockets_of_two, group):
    before = operator_client.get("/admin/operations/figures.json").get_json()
    alice_socket = sockets_of_two[0]
    for number in range(2):
        ack = alice_socket.emit("message:send", {"conversation_id": group.id, "body": f"figure {number}"},
                                callback=True)
        assert ack["ok"], ack
    after = operator_client.get("/admin/operations/figures.json").get_json()
    assert after["online_users"] == "2"
    assert int(after["messages_last_minute"]) == int(before["messages_last_minute"]) + 2
    assert int(after["sends_recent"]) == int(before["sends_recent"]) + 2
    assert after["send_ack_p99_ms"].endswith(" ms")


def test_a_dependency_down_is_shown_with_its_reason(operator_client, app, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    app.config["STORAGE_LOCAL_PATH"] = str(blocker / "files")
    texts = operator_client.get("/admin/operations/figures.json").get_json()
    assert texts["readiness"] == "NOT READY"
    assert texts["readiness.storage"].startswith("DOWN: NotADirectoryError")
    assert texts["readiness.database"].startswith("up, ")
