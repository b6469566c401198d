"""The gateway's `/ws/im` when its instance is shutting down (SIGTERM): a new connection is refused
with 503, as a new Socket.IO connection is (blueprints.chat.socket_queue.refusing_new_connections),
so that the proxy or the client tries another instance instead of logging in to one that is leaving."""
from __future__ import annotations

import base64
import json
import os
import re
import uuid

import pytest

from tests.servers import LiveServer

pytestmark = pytest.mark.integration


def test_a_new_gateway_connection_after_sigterm_is_answered_503_with_a_request_id(tmp_path):
    server = LiveServer(tmp_path, env={"LOG_FORMAT": "json"}, jobs=False, graceful_timeout=8)
    server.migrate()
    server.start()
    try:
        mine = f"gw-{uuid.uuid4().hex[:12]}"
        key = base64.b64encode(os.urandom(16)).decode()
        head = server.answer_after_sigterm((
            "GET /ws/im HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nX-Request-ID: {mine}\r\n\r\n").encode())
        assert head[0] == "HTTP/1.1 503 Service Unavailable"
        assert f"X-Request-ID: {mine}" in head[1:] and "Retry-After: 1" in head[1:]
        # Logged in one line under its request id, as every HTTP request is (docs/deployment.md).
        lines = [line for line in map(json.loads, server.log_text().splitlines()) if line.get("request_id") == mine]
        assert [(line["logger"], line["level"]) for line in lines] == [("switchboard.requests", "INFO")]
        assert re.fullmatch(r"GET /ws/im 503 \d+\.\d ms", lines[0]["message"]), lines
    finally:
        server.stop()
