"""A request to Socket.IO's websocket transport that is no valid WebSocket handshake (no key, a version
other than 13) is refused 400 `websocket_required`, naming the version spoken (RFC 6455 4.4), instead of
a 500 with wsproto's traceback in the log; a long-polling connection whose upgrade is refused so goes
on polling. So is a plain HTTP request to it (no `Upgrade: websocket`), which python-engineio answered
itself in plain text ("Invalid websocket upgrade"). Against the real server (gunicorn, one gevent worker)."""
from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.integration

KEY = "dGhlIHNhbXBsZSBub25jZQ=="
BROKEN = {"version 8": {"Sec-WebSocket-Key": KEY, "Sec-WebSocket-Version": "8"},
          "no version": {"Sec-WebSocket-Key": KEY},
          "a version that is no number": {"Sec-WebSocket-Key": KEY, "Sec-WebSocket-Version": "13x"},
          "no key": {"Sec-WebSocket-Version": "13"}}


# Requests that ask for no WebSocket at all: python-engineio refuses them before any websocket handler.
PLAIN = {"no Upgrade header": {"Connection": "keep-alive"},
         "another protocol": {"Upgrade": "h2c", "Connection": "Upgrade", "Sec-WebSocket-Key": KEY,
                              "Sec-WebSocket-Version": "13"}}


def upgrade(live_server, headers: dict, sid: str | None = None) -> requests.Response:
    query = "EIO=4&transport=websocket" + (f"&sid={sid}" if sid else "")
    return requests.get(f"{live_server.url}/socket.io/?{query}", timeout=10,
                        headers={"Upgrade": "websocket", "Connection": "Upgrade", **headers})


def plain_request(live_server, headers: dict, sid: str | None = None) -> requests.Response:
    query = "EIO=4&transport=websocket" + (f"&sid={sid}" if sid else "")
    return requests.get(f"{live_server.url}/socket.io/?{query}", timeout=10, headers=headers)


def polling_connection(live_server) -> tuple[str, str]:
    """A new long-polling Engine.IO connection: its sid and its polling URL."""
    opened = requests.get(f"{live_server.url}/socket.io/?EIO=4&transport=polling", timeout=10)
    sid = opened.text.split('"sid":"')[1].split('"')[0]
    return sid, f"{live_server.url}/socket.io/?EIO=4&transport=polling&sid={sid}"


def still_polling(polling: str) -> bool:
    """Still open: a Socket.IO CONNECT without credentials is answered (refused) on the same connection."""
    assert requests.post(polling, data="40", timeout=10).status_code == 200
    answer = requests.get(polling, timeout=10)
    return answer.status_code == 200 and answer.text.startswith("44")


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
    sid, polling = polling_connection(live_server)

    assert upgrade(live_server, BROKEN["version 8"], sid=sid).status_code == 400

    assert still_polling(polling)


@pytest.mark.parametrize("plain", PLAIN, ids=list(PLAIN))
def test_a_plain_request_to_the_websocket_transport_is_refused_as_a_broken_handshake(live_server, plain):
    answer = plain_request(live_server, PLAIN[plain])
    assert (answer.status_code, answer.headers["Content-Type"]) == (400, "application/json"), answer.text
    assert answer.json() == {"ok": False, "error": {"code": "websocket_required", "message": (
        "Open the websocket transport with a WebSocket handshake (Sec-WebSocket-Key, Sec-WebSocket-Version: 13).")}}
    assert answer.headers["Sec-WebSocket-Version"] == "13"
    assert answer.headers["X-Request-ID"]


@pytest.mark.parametrize("plain", PLAIN, ids=list(PLAIN))
def test_a_polling_connection_whose_plain_upgrade_request_is_refused_goes_on_polling(live_server, plain):
    sid, polling = polling_connection(live_server)

    answer = plain_request(live_server, PLAIN[plain], sid=sid)
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "websocket_required")

    assert still_polling(polling)


@pytest.mark.parametrize("method", ["POST", "HEAD"])
def test_another_method_to_the_websocket_transport_is_answered_as_on_polling(live_server, method):
    """docs/protocol.md: only a GET is a handshake refused `websocket_required`; another method gets python-engineio's
    answer to the polling transport (a POST without a sid 400 "Invalid session None", a HEAD 405)."""
    answers = [requests.request(method, f"{live_server.url}/socket.io/?EIO=4&transport={transport}", timeout=10)
               for transport in ("websocket", "polling")]
    assert [(answer.status_code, answer.text) for answer in answers] == [
        ({"POST": 400, "HEAD": 405}[method], answers[1].text)] * 2
    assert "websocket_required" not in answers[0].text


@pytest.mark.parametrize("request_kind", ["plain", "broken"])
def test_a_refused_handshake_carries_the_cors_headers_of_python_engineios_answers(live_server, request_kind):
    """The page may read the refusal: it carries the CORS headers python-engineio adds to its own answers (a
    polling one here). A plain request's refusal takes them from python-engineio's private `_cors_headers`
    (realtime.websocket_reader.refuse_plain_requests): this pins that a python-engineio upgrade still gives them."""
    origin = {"Origin": live_server.url}
    polling = requests.get(f"{live_server.url}/socket.io/?EIO=4&transport=polling", headers=origin, timeout=10)
    answer = (plain_request(live_server, {**PLAIN["no Upgrade header"], **origin}) if request_kind == "plain"
              else upgrade(live_server, {**BROKEN["no key"], **origin}))
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "websocket_required")
    cors = ("Access-Control-Allow-Origin", "Access-Control-Allow-Credentials")
    assert [polling.headers.get(name) for name in cors] == [live_server.url, "true"]
    assert [answer.headers.get(name) for name in cors] == [live_server.url, "true"]
