"""A request to Socket.IO's websocket transport that is no valid WebSocket handshake (no key, a version
other than 13) is refused 400 `websocket_required`, naming the version spoken (RFC 6455 4.4), instead of
a 500 with wsproto's traceback in the log; a long-polling connection whose upgrade is refused so goes
on polling. Against the real server (gunicorn, one gevent worker)."""
from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.integration

KEY = "dGhlIHNhbXBsZSBub25jZQ=="
BROKEN = {"version 8": {"Sec-WebSocket-Key": KEY, "Sec-WebSocket-Version": "8"},
          "no version": {"Sec-WebSocket-Key": KEY},
          "a version that is no number": {"Sec-WebSocket-Key": KEY, "Sec-WebSocket-Version": "13x"},
          "no key": {"Sec-WebSocket-Version": "13"}}


def upgrade(live_server, headers: dict, sid: str | None = None) -> requests.Response:
    query = "EIO=4&transport=websocket" + (f"&sid={sid}" if sid else "")
    return requests.get(f"{live_server.url}/socket.io/?{query}", timeout=10,
                        headers={"Upgrade": "websocket", "Connection": "Upgrade", **headers})


def server_log(live_server) -> str:
    live_server.log.flush()
    return open(live_server.log.name, encoding="utf-8", errors="replace").read()


@pytest.mark.parametrize("broken", BROKEN, ids=list(BROKEN))
def test_a_broken_handshake_is_refused_naming_the_version_spoken(live_server, broken):
    logged_before = len(server_log(live_server))
    answer = upgrade(live_server, BROKEN[broken])
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "websocket_required")
    assert answer.headers["Sec-WebSocket-Version"] == "13"
    assert "Traceback" not in server_log(live_server)[logged_before:]


def test_a_polling_connection_whose_upgrade_is_refused_goes_on_polling(live_server):
    opened = requests.get(f"{live_server.url}/socket.io/?EIO=4&transport=polling", timeout=10)
    sid = opened.text.split('"sid":"')[1].split('"')[0]
    polling = f"{live_server.url}/socket.io/?EIO=4&transport=polling&sid={sid}"

    assert upgrade(live_server, BROKEN["version 8"], sid=sid).status_code == 400

    # Still open: a Socket.IO CONNECT without credentials is answered (refused) on the same connection.
    assert requests.post(polling, data="40", timeout=10).status_code == 200
    answer = requests.get(polling, timeout=10)
    assert answer.status_code == 200 and answer.text.startswith("44"), answer.text
