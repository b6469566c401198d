"""Abuse limits on a real server (gunicorn + gevent), through real HTTP and python-socketio:
the send rate (socket acks and REST), the registration and token limits, the account lockout
(it locks, ends by itself, doubles, an operator lifts it in the back office with CSRF), the
security log operators read and users cannot, and sign-ups that do not tell a taken address.

The server runs with small limits; clients give their address in X-Forwarded-For (the server
trusts one proxy), so each test is one client or many as it needs. Waits poll, never sleep. The
hourly limits slide (actions/rate_limits.py): requests straddling a clock hour's end count as
requests within the hour, so these tests run at any time."""
from __future__ import annotations

import re
import uuid

import pytest
import requests
import socketio

from tests.admin.test_live import OperatorBrowser
from tests.servers import ChatUser, LiveServer, own_server, wait_for

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
LIMITS = {
    "TRUSTED_PROXIES": "1",
    "SEND_BURST": "3", "SEND_PER_MINUTE": "60",  # three at once, then one a second
    "REGISTRATIONS_PER_HOUR": "2",
    "TOKENS_PER_HOUR": "2",
    "LOCKOUT_FAILURES": "3", "LOCKOUT_SECONDS": "2", "LOCKOUT_MAX_SECONDS": "3600",
    "LOGIN_ATTEMPTS_PER_MINUTE": "0",  # the lockout alone (the per-minute limit: tests/test_rate_limits.py)
    "SOCKET_BUSY_DISCONNECT": "20",  # also: rate_limited refusals within a minute before a socket is cut
    "PASSWORD_RESETS_PER_HOUR": "2",
    "CODE_ATTEMPTS_PER_HOUR": "3",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from own_server(tmp_path_factory, "abuse-limits", env=LIMITS)


def from_address(address: str) -> dict:
    return {"X-Forwarded-For": address}


def new_address() -> str:
    number = uuid.uuid4().int
    return f"10.{number % 250}.{number // 250 % 250}.{number // 62500 % 250 + 1}"


def register(server: LiveServer, address: str | None = None, **fields) -> requests.Response:
    body = {"username": f"u{uuid.uuid4().hex[:10]}", "password": PASSWORD, **fields}
    return requests.post(server.url + "/api/accounts", json=body, headers=from_address(address or new_address()),
                         timeout=10)


def user(server: LiveServer) -> ChatUser:
    response = register(server)
    assert response.status_code == 201, response.text
    body = response.json()
    return ChatUser(server.url, body["user"]["username"], body["token"], body["user"]["id"])


def token_request(server: LiveServer, username: str, password: str, address: str = "192.0.2.50"):
    return requests.post(server.url + "/api/tokens", json={"username": username, "password": password},
                         headers=from_address(address), timeout=10)


def refusal(response: requests.Response) -> tuple[int, str, int, int]:
    """(status, code, Retry-After, retry_after) of a 429."""
    error = response.json()["error"]
    return response.status_code, error["code"], int(response.headers["Retry-After"]), error["retry_after"]


def test_a_send_flood_gets_rate_limited_acks_past_the_burst_and_recovers(server, connect):
    alice, bob = user(server), user(server)
    group_id = alice.api("POST", "/groups", json={"name": "Flood", "member_ids": [bob.id]}).json()["conversation"]["id"]
    flooder, other = connect(alice), connect(bob)

    acks = [flooder.call("message:send", {"conversation_id": group_id, "body": f"spam {n}", "client_id": f"s{n}"})
            for n in range(8)]
    assert [ack["ok"] for ack in acks[:3]] == [True] * 3
    refused = [ack for ack in acks[3:] if not ack["ok"]]
    assert len(refused) >= 4  # at most one more got through if a second passed meanwhile
    assert {(ack["error"]["code"], ack["error"]["retry_after"]) for ack in refused} == {("rate_limited", 1)}
    # REST shares the user's allowance
    rest = alice.api("POST", f"/conversations/{group_id}/messages", json={"body": "by REST", "client_id": "r1"})
    assert rest.status_code == 429 and refusal(rest)[1:] == ("rate_limited", 1, 1)
    # a retry of a stored message is answered, not refused; another user is not limited
    again = flooder.call("message:send", {"conversation_id": group_id, "body": "spam 0", "client_id": "s0"})
    assert again["ok"] and again["duplicate"] and again["message"]["id"] == acks[0]["message"]["id"]
    assert other.call("message:send", {"conversation_id": group_id, "body": "I am fine", "client_id": "b1"})["ok"]
    # a second later one more goes (same client_id as a refused one: nothing of it was stored)
    late = wait_for(lambda: (ack := flooder.call("message:send", {"conversation_id": group_id, "body": "spam 7",
                                                                   "client_id": "s7"}))["ok"] and ack,
                    timeout=5, interval=0.25, what="the send rate to let one more through")
    history = alice.api("GET", f"/conversations/{group_id}/messages?limit=100").json()["messages"]
    bodies = sorted(message["body"] for message in history)
    stored_spam = [body for body in bodies if body.startswith("spam")]
    assert late["message"]["body"] == "spam 7" and "by REST" not in bodies and "I am fine" in bodies
    accepted = {f"spam {n}" for n, ack in enumerate(acks) if ack["ok"]} | {"spam 7"}
    assert sorted(stored_spam) == sorted(accepted)  # each once; nothing of a refused send


def test_a_socket_that_goes_on_sending_while_rate_limited_is_cut(server, connect):
    flooder = user(server)
    group_id = flooder.api("POST", "/groups", json={"name": "Cut", "member_ids": []}).json()["conversation"]["id"]
    socket = connect(flooder)
    acks = []
    for number in range(40):  # one at a time (never `busy`), ignoring every retry_after
        try:
            acks.append(socket.call("message:send", {"conversation_id": group_id, "body": f"flood {number}"},
                                    timeout=5))
        except socketio.exceptions.SocketIOError:
            break
    wait_for(lambda: not socket.client.connected, timeout=10, what="the flooder to be cut")
    codes = [ack["error"]["code"] if not ack["ok"] else "ok" for ack in acks]
    # cut right after its 20th refusal within a minute (a send the refill lets through meanwhile changes nothing)
    assert codes[:3] == ["ok"] * 3 and codes.count("rate_limited") == 20 and codes[-1] == "rate_limited", codes
    assert "socket" in server.log_text() and "kept sending while rate limited" in server.log_text()
    # the user is not banned: a new connection may send once the rate allows
    again = connect(flooder)
    wait_for(lambda: again.call("message:send", {"conversation_id": group_id, "body": "calm"})["ok"], timeout=5,
             interval=0.25, what="a send after the cut")


def test_registrations_past_the_limit_get_429_per_address(server):
    address = new_address()
    assert [register(server, address).status_code for _ in range(2)] == [201, 201]
    refused = register(server, address)
    status, code, retry_after, in_body = refusal(refused)
    assert (status, code) == (429, "rate_limited") and 0 < retry_after <= 2 * 3600 and in_body == retry_after
    assert register(server).status_code == 201  # another address goes on


def test_token_creation_past_the_limit_gets_429(server):
    someone = user(server)
    assert [token_request(server, someone.username, PASSWORD).status_code for _ in range(2)] == [201, 201]
    assert refusal(token_request(server, someone.username, PASSWORD))[:2] == (429, "rate_limited")


def test_password_resets_and_codes_tried_past_their_limits_get_429(server):
    someone = user(server)

    def ask(login: str, address: str) -> requests.Response:
        return requests.post(server.url + "/api/password-reset", json={"login": login},
                             headers=from_address(address), timeout=10)

    stranger = new_address()
    assert [ask(login, stranger).status_code for login in (someone.username, "nobody-at-all")] == [202, 202]
    assert refusal(ask(someone.username, stranger))[:2] == (429, "rate_limited")  # per client address
    # not per account: strangers elsewhere asking for it do not keep its owner from asking
    assert [ask(someone.username.upper(), new_address()).status_code for _ in range(3)] == [202, 202, 202]
    assert ask(someone.username, new_address()).status_code == 202

    def confirm() -> requests.Response:
        return requests.post(server.url + "/api/password-reset/confirm", headers=from_address(new_address()),
                             json={"login": someone.username, "code": "000000", "password": "a new password 42"},
                             timeout=10)

    assert {confirm().status_code for _ in range(3)} == {400}  # wrong codes
    status, code, retry_after, _ = refusal(confirm())
    assert (status, code) == (429, "rate_limited") and 0 < retry_after <= 2 * 3600


def test_a_locked_account_ends_its_lock_by_itself_and_the_next_lasts_twice_as_long(server):
    victim = user(server)
    operator = OperatorBrowser(server)
    for attempt in range(3):
        assert token_request(server, victim.username, f"guess {attempt}").status_code == 401
    locked = token_request(server, victim.username, PASSWORD, address="198.51.100.77")  # right password, elsewhere
    assert refusal(locked)[:2] == (429, "account_locked") and refusal(locked)[2] <= 2
    # the lock ends by itself (2 s)
    wait_for(lambda: token_request(server, victim.username, PASSWORD).status_code == 201, timeout=10,
             interval=0.5, what="the lock to end")
    # three more failures: the next lock is twice as long
    for attempt in range(3):
        assert token_request(server, victim.username, f"guess again {attempt}").status_code == 401
    assert refusal(token_request(server, victim.username, PASSWORD))[:3] == (429, "account_locked", 4)
    # the security log holds it all, newest first, for operators
    log = operator.session.get(f"{server.url}/admin/security_log/?flt0_user_id_equals={victim.id}", timeout=10)
    kinds = re.findall(r'<td class="col-kind">\s*([a-z_]+)\s*</td>', log.text)
    assert kinds == ["account_locked"] + ["login_failed"] * 3 + ["login", "account_locked"] + ["login_failed"] * 3
    assert "192.0.2.50" in log.text and "python-requests" in log.text


@pytest.fixture(scope="module")
def long_locks(tmp_path_factory):
    """A server whose locks last five minutes: an operator's page surely shows the lock it lifts, however slow
    the machine (with `server`'s 2 s, a busy CI machine's page came after the lock had ended)."""
    yield from own_server(tmp_path_factory, "long-locks", jobs=False, env={**LIMITS, "LOCKOUT_SECONDS": "300"})


def test_an_operator_sees_a_lock_on_the_accounts_page_and_lifts_it(long_locks):
    victim = user(long_locks)
    operator = OperatorBrowser(long_locks)
    for attempt in range(3):
        assert token_request(long_locks, victim.username, f"guess {attempt}").status_code == 401
    assert refusal(token_request(long_locks, victim.username, PASSWORD))[:2] == (429, "account_locked")
    page = operator.session.get(f"{long_locks.url}/admin/user/manage/?id={victim.id}", timeout=10).text
    assert "Lift the lock" in page
    operator.post_form(f"/admin/user/manage/?id={victim.id}", f"/admin/user/manage/{victim.id}/unlock")
    assert token_request(long_locks, victim.username, PASSWORD).status_code == 201
    page = operator.session.get(f"{long_locks.url}/admin/user/manage/?id={victim.id}", timeout=10).text
    assert "Lift the lock" not in page
    log = operator.session.get(f"{long_locks.url}/admin/security_log/?flt0_user_id_equals={victim.id}", timeout=10)
    kinds = re.findall(r'<td class="col-kind">\s*([a-z_]+)\s*</td>', log.text)
    assert kinds == ["login", "lockout_lifted", "account_locked"] + ["login_failed"] * 3


def test_the_security_log_is_for_operators_only(server):
    someone = user(server)
    browser = requests.Session()
    page = browser.get(server.url + "/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    logged_in = browser.post(server.url + "/login", allow_redirects=False, timeout=10, data={
        "username": someone.username, "password": PASSWORD, "csrf_token": token})
    assert logged_in.status_code == 302
    assert browser.get(server.url + "/admin/security_log/", timeout=10, allow_redirects=False).status_code == 403
    as_program = requests.get(server.url + "/admin/security_log/", headers=someone.headers, timeout=10,
                              allow_redirects=False)
    assert as_program.status_code in (302, 401, 403) and "col-kind" not in as_program.text


def test_a_sign_up_with_a_taken_address_answers_as_any_other(server):
    taken = f"{uuid.uuid4().hex[:8]}@example.org"
    first, second = register(server, email=taken), register(server, email=taken)
    fresh = register(server, email=f"{uuid.uuid4().hex[:8]}@example.org")
    shapes = [(response.status_code, sorted(response.json()), response.json().get("confirmation", {}).get("channel"))
              for response in (first, second, fresh)]
    assert shapes[0] == shapes[1] == shapes[2], shapes
    assert "taken" not in second.text
