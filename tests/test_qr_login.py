"""QR-code login with the Flask and Flask-SocketIO test clients: the /qr-login namespace's
refusals and limit, the approve page's refusals and escaping, and the ticket's single use.
End to end on a real server: tests/integration/test_qr_login.py and tests/browser/test_qr_login.py."""
from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from actions import qr_login
from actions.errors import ActionError
from actions.passwords import change_password
from actions.rate_limits import MemoryCounters
from actions.sessions import end_session, revoke_other_sessions, revoke_own_session, start_session
from actions.user_admin import deactivate_user, reset_password
from events.facts import QrLoginAnswered
from extensions import socketio
from models import QrLogin
from realtime import QR_LOGIN_NAMESPACE
from tests.clients import IsolatedSocketClient
from tests.factories import PASSWORD


@pytest.fixture
def waiting_page(app):
    """A login page's socket on /qr-login, with the cookie of its /login page."""
    made = []

    def open_page(user_agent: str = "TestBrowser/1.0"):
        http = app.test_client()
        http.get("/login", headers={"User-Agent": user_agent})
        socket = IsolatedSocketClient(app, socketio, namespace=QR_LOGIN_NAMESPACE, flask_test_client=http,
                                      headers={"User-Agent": user_agent})
        made.append(socket)
        return socket, http

    yield open_page
    for socket in made:
        if socket.is_connected(QR_LOGIN_NAMESPACE):
            socket.disconnect(QR_LOGIN_NAMESPACE)


def ask(socket, event: str, *args) -> dict:
    return socket.emit(event, *args, namespace=QR_LOGIN_NAMESPACE, callback=True)


def token_of(answer: dict) -> str:
    return answer["qr"]["url"].rsplit("/", 1)[1]


def test_a_socket_without_the_login_pages_cookie_gets_no_code(app):
    socket = IsolatedSocketClient(app, socketio, namespace=QR_LOGIN_NAMESPACE)
    answer = ask(socket, "qr:request", {})
    assert answer["ok"] is False and answer["error"]["code"] == "qr_no_session"
    assert QrLogin.query.count() == 0
    socket.disconnect(QR_LOGIN_NAMESPACE)


def test_the_chat_namespace_still_refuses_anonymous_sockets(app):
    socket = IsolatedSocketClient(app, socketio)
    assert not socket.is_connected()


@pytest.mark.parametrize("app_settings", [{"QR_REQUESTS_PER_MINUTE": 2}])
def test_code_requests_are_limited_per_address(app, waiting_page):
    app.extensions["rate_limits"] = MemoryCounters(clock=lambda: 1_000_020.0)  # the counters' time stands still
    first, _ = waiting_page()
    second, _ = waiting_page()
    assert ask(first, "qr:request", {})["ok"]
    assert ask(second, "qr:request", {})["ok"]
    refused = ask(first, "qr:request", {})
    assert refused["ok"] is False and refused["error"]["code"] == "rate_limited"
    assert refused["error"]["retry_after"] >= 1
    # The refused request changed nothing: the page's code is still the one it had.
    assert QrLogin.query.filter_by(state="waiting").count() == 2


def test_hostile_payloads_are_answered(app, waiting_page):
    socket, _ = waiting_page()
    # docs/protocol.md: every event takes an object (none counts as {}); anything else is invalid_payload,
    # as on the chat's namespace, before anything else is looked at.
    for payload in ([], "x" * 1000, 12, True):
        for event in ("qr:ticket", "qr:request"):
            assert ask(socket, event, payload)["error"]["code"] == "invalid_payload", (event, payload)
    assert QrLogin.query.count() == 0
    assert ask(socket, "qr:ticket", None)["error"]["code"] == "qr_not_approved"
    assert ask(socket, "qr:request", {"evil": [1] * 100}, "extra")["ok"]


def test_the_approve_page_shows_the_browser_as_text(app, client, auth, alice, waiting_page):
    socket, _ = waiting_page(user_agent="<script>alert(1)</script>")
    token = token_of(ask(socket, "qr:request", {}))
    auth.login()
    page = client.get(f"/qr/{token}")
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert socket.get_received(QR_LOGIN_NAMESPACE)[-1]["name"] == "qr:scanned"


def test_the_approve_page_refusals(app, client, auth, alice, waiting_page):
    socket, _ = waiting_page()
    token = token_of(ask(socket, "qr:request", {}))
    anonymous = client.get(f"/qr/{token}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    auth.login()
    assert client.get("/qr/" + "x" * 500).status_code == 404
    assert client.get("/qr/nope").status_code == 404
    bad = client.post(f"/qr/{token}", data={"decision": "maybe"})
    assert bad.status_code == 400 and "Choose approve or refuse." in bad.text
    assert QrLogin.query.one().state == "waiting"


def test_a_ticket_logs_in_once_and_only_its_browser(app, alice, captured_events):
    issued = qr_login.request_qr_login("sid-1", qr_login.browser_key("csrf-secret"), "UA", "10.0.0.1")
    qr_login.decide_qr_login(alice, issued.token, approve=True)
    assert captured_events[-2:] == [QrLoginAnswered("sid-1", "scanned"), QrLoginAnswered("sid-1", "approved")]
    with pytest.raises(ActionError) as other_socket:
        qr_login.issue_qr_ticket("sid-2")
    assert other_socket.value.code == "qr_not_approved"
    ticket = qr_login.issue_qr_ticket("sid-1")
    with pytest.raises(ActionError) as other_browser:
        qr_login.redeem_qr_ticket(ticket, qr_login.browser_key("another-secret"))
    assert other_browser.value.status == 410
    assert qr_login.redeem_qr_ticket(ticket, qr_login.browser_key("csrf-secret")) == alice
    with pytest.raises(ActionError) as again:
        qr_login.redeem_qr_ticket(ticket, qr_login.browser_key("csrf-secret"))
    assert again.value.code == "qr_ticket_invalid"
    with pytest.raises(ActionError):
        qr_login.issue_qr_ticket("sid-1")


def test_a_ticket_outlives_its_socket(app, alice, waiting_page):
    """The page posts its ticket as it leaves: the disconnect, handled first here, voids its codes, not its ticket
    (tests/integration/test_qr_login.py posts as the socket closes, whichever the server handles first)."""
    socket, http = waiting_page()
    qr_login.decide_qr_login(alice, token_of(ask(socket, "qr:request", {})), approve=True)
    ticket = ask(socket, "qr:ticket", {})["ticket"]
    socket.disconnect(QR_LOGIN_NAMESPACE)
    assert QrLogin.query.one().state == "ticketed"
    assert http.post("/login/qr", data={"ticket": ticket}).status_code == 302
    assert http.get("/api/me").json["user"]["id"] == alice.id


def test_a_used_ticket_posted_again_by_the_browser_it_logged_in_is_gone(app, alice, bob, waiting_page):
    """docs/protocol.md: 410 `qr_ticket_invalid` for a used ticket, whoever posts it (a logged-in browser
    was sent to the chat before the ticket was looked at); a valid one logs a browser that logged in
    meanwhile out of that account, into the approver's."""
    socket, http = waiting_page()
    code = ask(socket, "qr:request", {})
    assert isinstance(code["qr"]["expires_in"], int) and 0 < code["qr"]["expires_in"] <= 60  # whole seconds
    qr_login.decide_qr_login(alice, token_of(code), approve=True)
    ticket = ask(socket, "qr:ticket", {})["ticket"]
    http.post("/login", data={"username": "bob", "password": PASSWORD})  # in another tab, meanwhile
    assert http.get("/api/me").json["user"]["id"] == bob.id
    assert http.post("/login/qr", data={"ticket": ticket}).status_code == 302
    assert http.get("/api/me").json["user"]["id"] == alice.id
    again = http.post("/login/qr", data={"ticket": ticket}, headers={"Accept": "application/json"})
    assert (again.status_code, again.json["error"]["code"]) == (410, "qr_ticket_invalid")
    assert http.get("/api/me").json["user"]["id"] == alice.id  # still logged in as before: nothing changed


def _approved_and_ticketed(user):
    """Two pages the user approved that have not logged in yet: one approved, one holding its ticket."""
    approved = qr_login.request_qr_login("sid-approved", qr_login.browser_key("secret-1"), "UA", "10.0.0.1")
    qr_login.decide_qr_login(user, approved.token, approve=True)
    ticketed = qr_login.request_qr_login("sid-ticketed", qr_login.browser_key("secret-2"), "UA", "10.0.0.2")
    qr_login.decide_qr_login(user, ticketed.token, approve=True)
    return qr_login.issue_qr_ticket("sid-ticketed")


@pytest.mark.parametrize("take_back", ["revoke_one", "revoke_others", "change_password", "operator_reset",
                                       "deactivate"])
def test_taking_the_account_back_withdraws_its_approvals_not_yet_used(app, alice, operator, captured_events,
                                                                      take_back):
    """A session that approved a code and is then ended (revoked, the password changed or reset, the account
    closed) must not leave behind a login made after its end: whoever held it (a stolen cookie) would keep
    an approval in flight and come back through it after every "log out all other sessions"."""
    owner = start_session(alice, "password", "10.0.0.9", "Owner").login_session
    thief = start_session(alice, "password", "10.0.0.66", "Thief").login_session
    ticket = _approved_and_ticketed(alice)
    if take_back == "revoke_one":
        revoke_own_session(alice, thief.id)
    elif take_back == "revoke_others":
        revoke_other_sessions(alice, owner.id)
    elif take_back == "change_password":
        change_password(alice, PASSWORD, "a brand new passphrase", keep_session_id=owner.id)
    elif take_back == "operator_reset":
        reset_password(operator, alice.id, "a temporary passphrase")
    else:
        deactivate_user(operator, alice.id)
    with pytest.raises(ActionError) as not_approved:
        qr_login.issue_qr_ticket("sid-approved")
    assert not_approved.value.code == "qr_not_approved"
    with pytest.raises(ActionError) as gone:
        qr_login.redeem_qr_ticket(ticket, qr_login.browser_key("secret-2"))
    assert gone.value.code == "qr_ticket_invalid"
    told = [fact for fact in captured_events if isinstance(fact, QrLoginAnswered) and fact.outcome == "expired"]
    assert sorted(fact.socket_id for fact in told) == ["sid-approved", "sid-ticketed"]


def test_logging_out_keeps_the_accounts_approvals(app, alice):
    """Logging out is one's own act, not taking the account back: an approval made on the phone meanwhile stays."""
    laptop = start_session(alice, "password", "10.0.0.9", "Laptop").login_session
    ticket = _approved_and_ticketed(alice)
    end_session(alice, laptop.id)
    assert qr_login.issue_qr_ticket("sid-approved")
    assert qr_login.redeem_qr_ticket(ticket, qr_login.browser_key("secret-2")) == alice


def test_the_ticket_post_refuses_junk(app, client):
    client.get("/login")
    for ticket in ("", "x" * 5000, "nope"):
        answer = client.post("/login/qr", data={"ticket": ticket}, headers={"Accept": "application/json"})
        assert answer.status_code == 410 and answer.json["error"]["code"] == "qr_ticket_invalid"
    page = client.post("/login/qr", data={"ticket": "nope"})
    assert page.status_code == 410 and 'id="login-form"' in page.text
    assert client.get("/api/me").status_code == 401


@pytest.mark.parametrize("app_settings", [{"TRUSTED_PROXIES": 1}])
def test_behind_a_proxy_the_code_names_the_public_host_and_the_clients_address(app, client, auth, alice):
    forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "chat.example"}
    http = app.test_client()
    http.get("/login", headers=forwarded)
    socket = IsolatedSocketClient(app, socketio, namespace=QR_LOGIN_NAMESPACE, flask_test_client=http,
                                  headers=forwarded)
    answer = ask(socket, "qr:request", {})
    assert answer["qr"]["url"].startswith("https://chat.example/qr/")
    assert QrLogin.query.one().address == "203.0.113.9"
    socket.disconnect(QR_LOGIN_NAMESPACE)


def test_the_database_unreachable_answers_unavailable(waiting_page, monkeypatch):
    """As every chat event does (docs/protocol.md, Errors): retryable, not a fault."""
    def pool_exhausted(*args, **kwargs):
        raise OperationalError("INSERT INTO qr_logins …", {}, Exception("QueuePool limit reached"))

    socket, _ = waiting_page()
    monkeypatch.setattr(qr_login, "request_qr_login", pool_exhausted)
    answer = ask(socket, "qr:request", {})
    assert answer == {"ok": False, "error": {
        "code": "unavailable", "message": "The service is briefly unavailable; nothing was changed. Try again."}}


def test_a_disconnect_while_the_database_is_unreachable_is_survived(waiting_page, monkeypatch, caplog):
    def unreachable(*args, **kwargs):
        raise OperationalError("UPDATE qr_logins …", {}, Exception("the database went away"))

    socket, _ = waiting_page()
    monkeypatch.setattr(qr_login, "close_qr_logins", unreachable)
    socket.disconnect(QR_LOGIN_NAMESPACE)
    assert not socket.is_connected(QR_LOGIN_NAMESPACE)
    assert [record.levelname for record in caplog.records if "qr-login disconnect" in record.getMessage()] == [
        "WARNING"]
