"""On the real server (gunicorn, gevent, SQLite): a request whose body is still on its way holds nothing
that other requests wait for. Order comes from the mechanism, not from timing: the server answers
`Expect: 100-continue` as it hands the request to the application, which then runs without yielding
until it waits for the body, so once the test has read `100 Continue` that wait has begun."""
from __future__ import annotations

import json
import socket

import pytest

pytestmark = pytest.mark.integration

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def test_a_body_still_on_its_way_keeps_no_other_write_waiting(live_server, register):
    """A token's first use is noted (a write) before the view reads its body: on SQLite the request then held
    the write lock while the body came at the client's pace, and every other write of the process waited
    for the lock, the worker's one loop stopped in SQLite's wait, until it gave up: 503 after 5 s."""
    slow, other = register(), register()  # tokens never used yet: their first use is written
    body = json.dumps({"user_id": other.id}).encode()
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=20) as connection:
        connection.sendall(f"POST /api/direct HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {slow.token}\r\n"
                           f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
                           f"Expect: 100-continue\r\n\r\n".encode())  # and not one byte of the body yet
        received = b""
        while not received.startswith(CONTINUE):
            chunk = connection.recv(len(CONTINUE) - len(received))
            assert chunk, "the server closed the connection before 100 Continue"
            received += chunk

        meanwhile = other.api("POST", "/direct", json={"user_id": slow.id})

        connection.sendall(body)
        answer = b""
        while chunk := connection.recv(65536):  # the server answers, then closes: recv ends
            answer += chunk
    assert meanwhile.status_code in (200, 201), meanwhile.text
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] in (b"200", b"201"), head
    assert json.loads(payload)["conversation"]["id"] == meanwhile.json()["conversation"]["id"]

