"""On the real server (gunicorn, gevent): a body announced past REQUEST_MAX_BYTES is answered
413 before it is sent, and the connection is closed rather than drained. Nothing here is timed."""
from __future__ import annotations

import json
import socket

import pytest

pytestmark = pytest.mark.integration

ANNOUNCED = 100 * 1024 * 1024


def test_a_huge_body_is_refused_before_it_is_sent_and_the_connection_closed(live_server):
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=20) as connection:
        connection.sendall(f"POST /api/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                           f"Content-Length: {ANNOUNCED}\r\n\r\n".encode())  # and not one byte of the body
        answer = b""
        while chunk := connection.recv(65536):  # the server answers, then closes: recv ends
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ")
    assert json.loads(body)["error"]["code"] == "request_entity_too_large"


def test_a_json_body_sent_without_a_length_past_the_limit_is_413_not_invalid_json(live_server):
    """protocol.md: a JSON body over REQUEST_MAX_BYTES is 413 request_entity_too_large. One sent chunked (no
    Content-Length: python-requests with a generator, a streamed fetch) was cut at the limit by werkzeug and
    answered 400 invalid_json, telling its client that well-formed JSON was malformed."""
    body = b'{"username": "alice", "password": "' + b"x" * (300 * 1024) + b'"}'
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=20) as connection:
        # The limit's worth of the body, and no more: the server has read all that was sent when it closes
        # (what it had not read would turn its close into a reset, and the answer would be lost here).
        connection.sendall(b"POST /api/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\n" + f"{len(body):x}\r\n".encode() + body[:256 * 1024])
        answer = b""
        while chunk := connection.recv(65536):  # the server answers, then closes: recv ends
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 "), head
    assert json.loads(body)["error"]["code"] == "request_entity_too_large"
