"""Clients of the QR-code login as a browser and a phone use it: the waiting login page (its
cookies and its /qr-login socket) and a logged-in approver (tests/integration/test_qr_login.py,
tests/scaleout/test_qr_login_across_instances.py)."""
from __future__ import annotations

import queue
import re
import uuid

import requests
import socketio

from tests.servers import PASSWORD, ChatUser

NAMESPACE = "/qr-login"
SERVER_EVENTS = ("qr:code", "qr:scanned", "qr:approved", "qr:refused", "qr:expired")


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


class WaitingPage:
    """A browser on the login page that shows a QR code: its cookies, and its /qr-login socket."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()
        self.http.headers["User-Agent"] = f"QR-test-browser/{uuid.uuid4().hex[:6]}"
        login_page = self.http.get(url + "/login", timeout=10)
        assert 'id="qr-login"' in login_page.text
        self.csrf = csrf_token(login_page.text)
        self.events: queue.Queue = queue.Queue()
        self.socket = socketio.Client(reconnection=False)
        for event in SERVER_EVENTS:
            self.socket.on(event, lambda data=None, event=event: self.events.put((event, data)), namespace=NAMESPACE)
        cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.http.cookies)
        self.socket.connect(url, namespaces=[NAMESPACE], transports=["websocket"], wait_timeout=10,
                            headers={"Cookie": cookies, "User-Agent": self.http.headers["User-Agent"]})

    def call(self, event: str) -> dict:
        return self.socket.call(event, {}, namespace=NAMESPACE, timeout=10)

    def request_code(self) -> dict:
        answer = self.call("qr:request")
        assert answer["ok"], answer
        return answer["qr"]

    def next_event(self, timeout: float = 10) -> tuple[str, dict]:
        return self.events.get(timeout=timeout)

    def expect(self, event: str, timeout: float = 10) -> dict:
        got, data = self.next_event(timeout)
        assert got == event, (got, data)
        return data

    def post_ticket(self, ticket: str) -> requests.Response:
        return self.http.post(self.url + "/login/qr", data={"ticket": ticket, "csrf_token": self.csrf},
                              allow_redirects=False, timeout=10)

    def me(self) -> requests.Response:
        return self.http.get(self.url + "/api/me", timeout=10)

    def close(self) -> None:
        if self.socket.connected:
            self.socket.disconnect()


class Approver:
    """A user logged in through the login form, as on the phone that scans the code."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.user = ChatUser.register(url, password=PASSWORD)
        self.http = requests.Session()
        page = self.http.get(url + "/login", timeout=10)
        logged_in = self.http.post(url + "/login", data={"username": self.user.username, "password": PASSWORD,
                                                         "csrf_token": csrf_token(page.text)},
                                   allow_redirects=False, timeout=10)
        assert logged_in.status_code == 302, logged_in.text
        self.csrf = csrf_token(self.http.get(url + "/", timeout=10).text)

    def open(self, link: str) -> requests.Response:
        return self.http.get(link, timeout=10)

    def decide(self, link: str, decision: str) -> requests.Response:
        """The approve page's form, posted (its CSRF token is the session's, as on any page)."""
        return self.http.post(link, data={"decision": decision, "csrf_token": self.csrf}, timeout=10)

    def approve(self, waiting: WaitingPage) -> dict:
        """Scan the page's new code and approve it; returns once the page was told both (its code)."""
        qr = waiting.request_code()
        self.open(qr["url"])
        self.decide(qr["url"], "approve")
        waiting.expect("qr:scanned")
        waiting.expect("qr:approved")
        return qr
