"""A real gunicorn server with LOG_FORMAT=json: request ids go in and out, every line the app
writes is one JSON object with its request id, and no password, token, cookie, message text or
secret in a URL ever reaches the log, whether the requests succeed or fail."""
from __future__ import annotations

import json
import re
import uuid

import pytest
import requests

from tests.servers import ChatUser, own_server, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from own_server(tmp_path_factory, "ops-logs", jobs=False, env={"LOG_FORMAT": "json"})


def log_lines(server) -> list[dict]:
    """Every line of the server's output, gunicorn's included, is one JSON object."""
    return [json.loads(line) for line in server.log_text().splitlines()]


def test_request_ids_round_trip(server):
    mine = f"ops-{uuid.uuid4().hex[:12]}"
    echoed = requests.get(server.url + "/readyz", headers={"X-Request-ID": mine}, timeout=10)
    assert echoed.headers["X-Request-ID"] == mine
    for insane in ("has space", "x" * 129, "semi;colon", "new\tline"):
        replaced = requests.get(server.url + "/healthz", headers={"X-Request-ID": insane}, timeout=10)
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"]), insane
    missing = requests.get(server.url + "/nowhere", timeout=10)
    assert missing.status_code == 404 and re.fullmatch(r"[0-9a-f]{32}", missing.headers["X-Request-ID"])
    lines = wait_for(lambda: [line for line in log_lines(server)
                              if line["request_id"] == missing.headers["X-Request-ID"]], what="the 404's line")
    assert lines[0]["message"].startswith("GET unmatched 404")
    assert {"time", "level", "logger", "message", "request_id", "process"} <= set(lines[0])


def test_the_socketio_transports_answers_carry_a_request_id_its_connect_is_logged_under(server):
    """Socket.IO's long-polling handshake and polls are answered by Engine.IO before Flask: they carried no
    X-Request-ID, and a client that sent none could not find its connection's lines (logged under an id nobody
    was told). Now the handshake answers the id (its own if sane) and the socket's connect is logged under it."""
    polling = server.url + "/socket.io/?EIO=4&transport=polling"
    mine = f"ops-{uuid.uuid4().hex[:12]}"
    echoed = requests.get(polling, headers={"X-Request-ID": mine}, timeout=10)
    assert echoed.status_code == 200 and echoed.headers["X-Request-ID"] == mine
    handshake = requests.get(polling, headers={"X-Request-ID": "has space"}, timeout=10)
    given = handshake.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", given)
    sid = json.loads(handshake.text[1:])["sid"]
    # Socket.IO's CONNECT packet without credentials: refused, and that line is logged under the handshake's id.
    sent = requests.post(f"{polling}&sid={sid}", data="40", timeout=10)
    assert sent.status_code == 200 and re.fullmatch(r"[0-9a-f]{32}", sent.headers["X-Request-ID"])
    lines = wait_for(lambda: [line for line in log_lines(server) if line["request_id"] == given
                              and line["message"].startswith("socket connect")], what="the connect's line")
    assert lines[0]["message"] == "socket connect refused"
    answer = requests.get(f"{polling}&sid={sid}", timeout=10)
    assert answer.status_code == 200 and re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-ID"])


def test_a_websocket_upgrades_101_carries_the_request_id(server):
    """The Socket.IO websocket's 101 (realtime.websocket_handshake) returns the connection's request id too."""
    import base64
    import os
    import socket
    from urllib.parse import urlsplit

    mine = f"ops-{uuid.uuid4().hex[:12]}"
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {address.netloc}\r\n"
                            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
                            f"X-Request-ID: {mine}\r\n\r\n").encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = connection.recv(4096)
            assert chunk, answer
            answer += chunk
    head = answer.split(b"\r\n\r\n")[0].decode().split("\r\n")
    assert head[0] == "HTTP/1.1 101 Switching Protocols"
    assert f"X-Request-ID: {mine}" in head[1:]


def test_no_secret_reaches_the_log_and_every_line_has_its_request_id(server):
    password = f"pw-{uuid.uuid4().hex}"
    wrong_password = f"wrong-{uuid.uuid4().hex}"
    body = f"private words {uuid.uuid4().hex}"
    refused_body = f"refused words {uuid.uuid4().hex}"
    bogus_token = f"bogus{uuid.uuid4().hex}"
    secret_in_path = f"signed{uuid.uuid4().hex}"
    request_ids = []

    def answered(response: requests.Response) -> requests.Response:
        request_ids.append(response.headers["X-Request-ID"])
        return response

    alice = ChatUser.register(server.url, password=password)
    bob = ChatUser.register(server.url)
    token = answered(requests.post(server.url + "/api/tokens", json={"username": alice.username, "password": password},
                                   timeout=10)).json()["token"]
    assert answered(requests.post(server.url + "/api/tokens", json={
        "username": alice.username, "password": wrong_password}, timeout=10)).status_code == 401
    assert answered(requests.get(server.url + "/api/me", headers={"Authorization": f"Bearer {token}"},
                                 timeout=10)).status_code == 200
    assert answered(requests.get(server.url + "/api/me", headers={"Authorization": f"Bearer {bogus_token}"},
                                 timeout=10)).status_code == 401
    assert answered(requests.get(f"{server.url}/files/local/{secret_in_path}", timeout=10)).status_code in (403, 404)
    assert answered(requests.post(server.url + "/api/accounts", data=f'{{"password": "{password}"',
                                  headers={"Content-Type": "application/json"}, timeout=10)).status_code == 400
    browser = requests.Session()
    page = browser.get(server.url + "/login", timeout=10)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    login = answered(browser.post(server.url + "/login", data={"username": alice.username, "password": password,
                                                               "csrf_token": csrf}, allow_redirects=False, timeout=10))
    assert login.status_code == 302
    cookies = [cookie.value for cookie in browser.cookies]
    assert cookies and answered(browser.get(server.url + "/", timeout=10)).status_code == 200
    direct = alice.api("POST", "/direct", json={"user_id": bob.id}).json()["conversation"]
    socket = alice.socket()
    try:
        assert socket.call("message:send", {"conversation_id": direct["id"], "body": body})["ok"]
        assert not socket.call("message:send", {"conversation_id": 2**40, "body": refused_body})["ok"]
    finally:
        socket.disconnect()

    secrets = {"password": password, "wrong password": wrong_password, "registration token": alice.token,
               "token": token, "bogus token": bogus_token, "message": body, "refused message": refused_body,
               "secret in a path": secret_in_path, **{f"cookie {index}": value for index, value in enumerate(cookies)}}
    lines = wait_for(lambda: (lines := log_lines(server)) and sum(
        "socket disconnect" in line["message"] for line in lines) >= 1 and lines, what="the disconnect's line")
    text = server.log_text()
    for name, secret in secrets.items():
        assert secret not in text, name
    logged_ids = {line["request_id"] for line in lines}
    assert set(request_ids) <= logged_ids
    socket_lines = [line for line in lines if line["logger"] == "switchboard.socket_events"]
    assert any(line["message"].startswith("socket event message:send ok") for line in socket_lines)
    assert any(line["message"].startswith("socket event message:send conversation_not_found") for line in socket_lines)
    assert all(re.fullmatch(r"[0-9a-f]{32}", line["request_id"]) for line in socket_lines)
    assert len({line["request_id"] for line in socket_lines}) == len(socket_lines)  # one id per event


def test_a_socket_connects_under_the_request_id_it_sends(server):
    import socketio

    user = ChatUser.register(server.url)
    mine = f"sock-{uuid.uuid4().hex[:12]}"
    client = socketio.Client(reconnection=False)
    client.connect(server.url, auth={"token": user.token}, headers={"X-Request-ID": mine}, transports=["websocket"],
                   wait_timeout=10)
    client.disconnect()
    lines = wait_for(lambda: [line for line in log_lines(server) if line["request_id"] == mine],
                     what="the connect's line")
    assert [line["message"] for line in lines] == ["socket connect ok"]


def test_a_poll_of_a_session_another_instance_held_is_one_json_line(server):
    """After a rolling restart nginx sends a long-polling client's next request, with its old session id,
    to the other instance (or back to the restarted one), whose python-engineio logs `Invalid session`.
    That line came out twice before: once as JSON and once bare, through the handler python-engineio gives
    its logger when it has no level, which a log shipper reading JSON lines chokes on."""
    sid = f"gone{uuid.uuid4().hex[:16]}"
    moved = requests.get(f"{server.url}/socket.io/?EIO=4&transport=polling&sid={sid}", timeout=10)
    assert moved.status_code == 400
    lines = wait_for(lambda: [line for line in log_lines(server) if sid in line["message"]],
                     what="the refused session's line")
    assert [(line["logger"], line["level"]) for line in lines] == [("engineio.server", "ERROR")]
    assert server.log_text().count(sid) == 1


def test_the_503_a_shutting_down_instance_gives_a_new_socket_carries_a_request_id(tmp_path):
    """After SIGTERM a new Socket.IO connection is answered 503 (blueprints.chat.socket_queue's
    refusing_new_connections, outside the app): that answer carried no X-Request-ID, unlike every other,
    and wrote no log line, where every other HTTP request writes one (docs/deployment.md)."""
    from tests.servers import LiveServer

    server = LiveServer(tmp_path, env={"LOG_FORMAT": "json"}, jobs=False, graceful_timeout=8)
    server.migrate()
    server.start()
    try:
        mine = f"ops-{uuid.uuid4().hex[:12]}"
        head = server.answer_after_sigterm(("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                            f"X-Request-ID: {mine}\r\n\r\n").encode())
        assert head[0] == "HTTP/1.1 503 Service Unavailable"
        assert f"X-Request-ID: {mine}" in head[1:]
        lines = [line for line in log_lines(server) if line.get("request_id") == mine]
        assert [(line["logger"], line["level"]) for line in lines] == [("switchboard.requests", "INFO")]
        assert re.fullmatch(r"GET /socket\.io/ 503 \d+\.\d ms", lines[0]["message"]), lines
    finally:
        server.stop()
