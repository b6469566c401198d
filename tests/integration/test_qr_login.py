"""QR-code login end to end on a real gunicorn: the waiting login page is a python-socketio client
on /qr-login with that browser's cookies, the approver a logged-in HTTP session, as on a phone.

The server rotates codes every 3 s here (20 s by default) and shows 2 codes per request, so that
rotation and expiry are seen in seconds.
"""
from __future__ import annotations

import queue
import sqlite3

import pytest
import socketio

from tests.integration.qr_clients import NAMESPACE, Approver, WaitingPage, csrf_token
from tests.servers import LiveServer, own_server

pytestmark = pytest.mark.integration

ROTATE_SECONDS = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from own_server(tmp_path_factory, "qr", jobs=False, env={
        "QR_LOGIN_ROTATE_SECONDS": str(ROTATE_SECONDS), "QR_LOGIN_CODES": "2", "QR_REQUESTS_PER_MINUTE": "1000"})


@pytest.fixture
def page(server):
    opened: list[WaitingPage] = []

    def open_page() -> WaitingPage:
        opened.append(WaitingPage(server.url))
        return opened[-1]

    yield open_page
    for waiting in opened:
        waiting.close()


@pytest.fixture
def approver(server):
    return Approver(server.url)


def login_methods(server: LiveServer, user_id: int) -> list[str]:
    with sqlite3.connect(server.workdir / "switchboard.db") as database:
        return [row[0] for row in database.execute(
            "SELECT method FROM login_sessions WHERE user_id = ? ORDER BY created_at", (user_id,))]


def test_qr_login_from_an_approving_device(server, page, approver):
    waiting = page()
    qr = waiting.request_code()
    assert qr["url"].startswith(server.url + "/qr/") and qr["image"].startswith("data:image/svg+xml")
    assert 0 < qr["expires_in"] <= ROTATE_SECONDS

    shown = approver.open(qr["url"])
    assert shown.status_code == 200
    assert waiting.http.headers["User-Agent"] in shown.text and "127.0.0.1" in shown.text
    waiting.expect("qr:scanned")
    approved = approver.decide(qr["url"], "approve")
    assert approved.status_code == 200 and 'id="qr-approve-done"' in approved.text
    waiting.expect("qr:approved")

    ticket = waiting.call("qr:ticket")
    assert ticket["ok"], ticket
    logged_in = waiting.post_ticket(ticket["ticket"])
    assert logged_in.status_code == 302 and logged_in.headers["Location"].endswith("/")
    me = waiting.me()
    assert me.status_code == 200 and me.json()["user"]["id"] == approver.user.id
    assert login_methods(server, approver.user.id) == ["password", "qr"]

    # Everything was single-use: the ticket, the socket's ticket, the code.
    assert waiting.call("qr:ticket")["error"]["code"] == "qr_not_approved"
    reused = approver.open(qr["url"])
    assert reused.status_code == 410 and "was used already" in reused.text
    assert approver.decide(qr["url"], "approve").status_code == 410
    assert login_methods(server, approver.user.id) == ["password", "qr"]


def test_a_ticket_is_used_once(server, page, approver):
    waiting = page()
    approver.approve(waiting)
    ticket = waiting.call("qr:ticket")["ticket"]
    assert waiting.post_ticket(ticket).status_code == 302
    # The same browser, logged out again, posts the same ticket: refused.
    logged_out = waiting.http.post(server.url + "/logout", data={"csrf_token": csrf_token(
        waiting.http.get(server.url + "/", timeout=10).text)}, allow_redirects=False, timeout=10)
    assert logged_out.status_code == 302
    waiting.csrf = csrf_token(waiting.http.get(server.url + "/login", timeout=10).text)
    replayed = waiting.post_ticket(ticket)
    assert replayed.status_code == 410
    assert waiting.me().status_code == 401
    assert login_methods(server, approver.user.id) == ["password", "qr"]


def test_an_event_the_namespace_does_not_have_gets_an_error_ack(server, page):
    waiting = page()
    assert waiting.call("qr:nothing") == {"ok": False, "error": {"code": "unknown_event",
                                                                 "message": "The server has no such event."}}
    assert waiting.request_code()["url"]


def test_refused_by_the_approver(server, page, approver):
    waiting = page()
    qr = waiting.request_code()
    approver.open(qr["url"])
    waiting.expect("qr:scanned")
    refused = approver.decide(qr["url"], "refuse")
    assert refused.status_code == 200 and "was not logged in" in refused.text
    waiting.expect("qr:refused")
    assert waiting.call("qr:ticket")["error"]["code"] == "qr_not_approved"
    assert approver.decide(qr["url"], "approve").status_code == 410
    assert waiting.call("qr:ticket")["error"]["code"] == "qr_not_approved"
    assert waiting.me().status_code == 401
    assert login_methods(server, approver.user.id) == ["password"]


def test_useless_from_another_socket_or_browser(server, page, approver):
    waiting, other = page(), page()
    approver.approve(waiting)
    # Another page's socket cannot get the ticket of a code it did not show...
    assert other.call("qr:ticket")["error"]["code"] == "qr_not_approved"
    ticket = waiting.call("qr:ticket")["ticket"]
    # ...and the ticket posted from another browser (another session cookie) is refused.
    assert other.post_ticket(ticket).status_code == 410
    assert other.me().status_code == 401
    # The page that showed the code still logs in with it.
    assert waiting.post_ticket(ticket).status_code == 302
    assert waiting.me().json()["user"]["id"] == approver.user.id


def test_closing_the_page_voids_its_code(server, page, approver):
    waiting = page()
    qr = waiting.request_code()
    waiting.close()
    opened = approver.open(qr["url"])
    assert opened.status_code == 410 and "expired" in opened.text


def test_codes_rotate_then_expire(server, page, approver):
    waiting = page()
    first = waiting.request_code()
    second = waiting.expect("qr:code", timeout=ROTATE_SECONDS + 5)["qr"]
    assert second["url"] != first["url"] and second["image"] != first["image"]
    replaced = approver.open(first["url"])
    assert replaced.status_code == 410 and "expired" in replaced.text
    # QR_LOGIN_CODES=2: after the second code, no third; the page is told to ask again.
    waiting.expect("qr:expired", timeout=ROTATE_SECONDS + 5)
    assert approver.open(second["url"]).status_code == 410
    assert approver.decide(second["url"], "approve").status_code == 410
    assert waiting.call("qr:ticket")["error"]["code"] == "qr_not_approved"
    # Asking again starts a new series.
    third = waiting.request_code()
    assert approver.open(third["url"]).status_code == 200
    waiting.expect("qr:scanned")


def test_a_scanned_code_stops_rotating(server, page, approver):
    waiting = page()
    qr = waiting.request_code()
    approver.open(qr["url"])
    waiting.expect("qr:scanned")
    # The marker: a page that asked for its code after this one was scanned gets its next code, so this
    # page's rotation time is past (its turn came first, on the same server). The scanned code stays the
    # page's, and still approvable.
    later = page()
    later.request_code()
    later.expect("qr:code", timeout=ROTATE_SECONDS + 10)
    with pytest.raises(queue.Empty):
        waiting.events.get_nowait()
    approver.decide(qr["url"], "approve")
    waiting.expect("qr:approved")


def test_nobody_else_may_decide_a_scanned_code(server, page, approver):
    waiting = page()
    qr = waiting.request_code()
    approver.open(qr["url"])
    intruder = Approver(server.url)
    refused = intruder.decide(qr["url"], "approve")
    assert refused.status_code == 403
    assert waiting.expect("qr:scanned") == {}
    assert waiting.call("qr:ticket")["error"]["code"] == "qr_not_approved"


def test_the_chat_namespace_still_refuses_anonymous_sockets(server):
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, transports=["websocket"], wait_timeout=5)


def test_a_page_without_its_cookie_gets_no_code(server):
    client = socketio.Client(reconnection=False)
    client.connect(server.url, namespaces=[NAMESPACE], transports=["websocket"], wait_timeout=10)
    try:
        answer = client.call("qr:request", {}, namespace=NAMESPACE, timeout=10)
        assert answer == {"ok": False, "error": {"code": "qr_no_session", "message": answer["error"]["message"]}}
    finally:
        client.disconnect()


def test_a_ticket_outlives_its_socket(server, page, approver):
    """The page posts its ticket as it leaves: its socket may close before the post arrives. Whichever
    the server handles first here; tests/test_qr_login.py handles the disconnect first, every time."""
    waiting = page()
    approver.approve(waiting)
    ticket = waiting.call("qr:ticket")["ticket"]
    waiting.close()
    assert waiting.post_ticket(ticket).status_code == 302
    assert waiting.me().json()["user"]["id"] == approver.user.id
