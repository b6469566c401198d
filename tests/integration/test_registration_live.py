"""Registration and recovery on a real server (gunicorn + gevent, and the real job consumer that
sends the codes): codes read from a real SMTP server (aiosmtpd on 127.0.0.1) and from an HTTP
webhook receiver that checks the signature, as an SMS gateway would. REGISTRATION=email,phone.
An expired code is made by moving its expiry back in the server's database; a changed hash
method by a second gunicorn on the same database with another PASSWORD_HASH_METHOD."""
from __future__ import annotations

import hmac
import html
import json
import re
import sqlite3
import time
import uuid
from contextlib import closing

import pytest
import requests

from tests.admin.test_live import OperatorBrowser
from tests.receivers import sms_webhook, smtp_inbox, webhook_signature
from tests.servers import LiveServer, own_server, wait_for

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
WEBHOOK_SECRET = "webhook-secret-of-the-tests"
CODE = re.compile(r"code is ([0-9]{6})")


@pytest.fixture(scope="module")
def inbox():
    with smtp_inbox() as received:
        yield received


@pytest.fixture(scope="module")
def gateway():
    with sms_webhook() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def server(tmp_path_factory, inbox, gateway):
    yield from own_server(tmp_path_factory, "registration", env={
        "REGISTRATION": "email,phone",
        "CODE_SENDER_EMAIL": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(inbox[1]), "SMTP_SECURITY": "none",
        "SMTP_FROM": "Switchboard <no-reply@example.org>",
        "CODE_SENDER_SMS": "webhook", "SMS_WEBHOOK_URL": f"http://127.0.0.1:{gateway.server_port}/sms",
        "SMS_WEBHOOK_SECRET": WEBHOOK_SECRET,
    })


def new_email() -> str:
    return f"u{uuid.uuid4().hex[:10]}@example.org"


def new_phone() -> str:
    return f"+49170{uuid.uuid4().int % 10_000_000:07d}"


def post(server: LiveServer, path: str, **body) -> requests.Response:
    return requests.post(server.url + path, json=body, timeout=10)


def register(server: LiveServer, **address) -> tuple[str, requests.Response]:
    username = f"u{uuid.uuid4().hex[:10]}"
    return username, post(server, "/api/accounts", username=username, password=PASSWORD, **address)


def code_in(texts: list[str]) -> str:
    return CODE.search(texts[-1]).group(1)


def mailed_code(inbox, address: str, count: int = 1) -> str:
    handler, _ = inbox
    return code_in(wait_for(lambda: len(handler.texts_to(address)) >= count and handler.texts_to(address),
                            what=f"mail to {address}"))


def other_than(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


class Browser:
    """A browser logged in through the login form (with its CSRF token)."""

    def __init__(self, server: LiveServer, login: str, password: str = PASSWORD) -> None:
        self.url = server.url
        self.session = requests.Session()
        page = self.session.get(self.url + "/login", timeout=10)
        self.response = self.session.post(self.url + "/login", allow_redirects=False, timeout=10, data={
            "username": login, "password": password, "csrf_token": OperatorBrowser.token_in(page.text)})

    def me(self) -> requests.Response:
        return self.session.get(self.url + "/api/me", timeout=10)


def test_registration_by_email_with_the_code_the_smtp_server_received(server, inbox):
    address = new_email()
    username, response = register(server, email=address.upper())
    assert response.status_code == 202, response.text
    assert response.json()["confirmation"] == {"channel": "email", "sent_to": f"{address[0]}•••@example.org"}
    refused = post(server, "/api/tokens", username=username, password=PASSWORD)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "unconfirmed")
    code = mailed_code(inbox, address)
    handler, _ = inbox
    (message,) = handler.messages_to(address)
    assert (message["From"], message["Subject"]) == ("Switchboard <no-reply@example.org>",
                                                     "Your Switchboard confirmation code")
    # The address waiting for its code logs in already, to the confirmation only.
    browser = Browser(server, address)
    assert browser.response.status_code == 302
    assert browser.session.get(server.url + "/", allow_redirects=False, timeout=10).headers["Location"] == "/confirm"
    assert browser.me().json()["error"]["code"] == "unconfirmed"
    wrong = post(server, "/api/accounts/confirm", username=username, password=PASSWORD, code=other_than(code))
    assert wrong.json()["error"] == {"code": "wrong_code", "message": "That code is wrong (4 tries left)."}
    confirmed = post(server, "/api/accounts/confirm", username=username, password=PASSWORD, code=code)
    assert confirmed.status_code == 200
    token = confirmed.json()["token"]
    me = requests.get(server.url + "/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert me.json()["user"]["username"] == username
    assert browser.me().status_code == 200  # the same session, confirmed now
    assert post(server, "/api/tokens", username=address, password=PASSWORD).status_code == 201  # email login
    logs = server.log_text() + server.consumer.log_text()
    assert f"code is {code}" not in logs and f"'{code}'" not in logs  # only the console sender logs codes
    assert Browser(server, address.title()).response.headers["Location"] == "/"


def test_registration_by_phone_with_the_code_the_signed_webhook_received(server, gateway):
    phone = new_phone()
    username, response = register(server, phone=f"{phone[:3]} {phone[3:6]} {phone[6:]}")
    assert response.status_code == 202, response.text
    assert response.json()["confirmation"]["channel"] == "phone"
    texts = wait_for(lambda: gateway.texts_to(phone), what=f"a text to {phone}")
    ((headers, body),) = gateway.requests_to(phone)
    signed = hmac.compare_digest(webhook_signature(WEBHOOK_SECRET, headers, body), headers["X-Switchboard-Signature"])
    fresh = abs(time.time() - int(headers["X-Switchboard-Timestamp"])) < 300
    assert signed and fresh and headers["Content-Type"] == "application/json"
    sent = json.loads(body)
    assert sent["purpose"] == "confirm" and set(sent) == {"id", "to", "text", "purpose", "sent_at"}
    confirmed = post(server, "/api/accounts/confirm", username=username, password=PASSWORD, code=code_in(texts))
    assert confirmed.status_code == 200, confirmed.text
    login = post(server, "/api/tokens", username=f"{phone[:3]} {phone[3:]}", password=PASSWORD)  # phone login
    assert (login.status_code, login.json()["user"]["username"]) == (201, username)
    assert Browser(server, phone).response.headers["Location"] == "/"


def test_five_wrong_codes_exhaust_it_and_a_new_code_waits_a_minute(server, inbox):
    address = new_email()
    username, _ = register(server, email=address)
    code = mailed_code(inbox, address)
    for _ in range(5):
        assert post(server, "/api/accounts/confirm", username=username, password=PASSWORD,
                    code=other_than(code)).json()["error"]["code"] == "wrong_code"
    exhausted = post(server, "/api/accounts/confirm", username=username, password=PASSWORD, code=code)
    assert (exhausted.status_code, exhausted.json()["error"]["code"]) == (400, "code_exhausted")
    resend = post(server, "/api/accounts/resend", username=username, password=PASSWORD)
    assert (resend.status_code, resend.json()["error"]["code"]) == (429, "rate_limited")
    assert 55 <= int(resend.headers["Retry-After"]) <= 60


def test_a_taken_email_answers_the_same_and_its_owner_is_told(server, inbox):
    address = new_email()
    owner, first = register(server, email=address)
    post(server, "/api/accounts/confirm", username=owner, password=PASSWORD, code=mailed_code(inbox, address))
    _, second = register(server, email=address)
    assert (first.status_code, sorted(first.json()), first.json()["confirmation"]) == (
        second.status_code, sorted(second.json()), second.json()["confirmation"])
    handler, _ = inbox
    notice = wait_for(lambda: len(handler.texts_to(address)) == 2 and handler.texts_to(address)[1],
                      what="the notice to the owner")
    assert f"already belongs to the account {owner}" in notice and not CODE.search(notice)


def test_a_password_reset_by_code_ends_every_other_session(server, inbox):
    address = new_email()
    username, _ = register(server, email=address)
    confirmed = post(server, "/api/accounts/confirm", username=username, password=PASSWORD,
                     code=mailed_code(inbox, address))
    old_token = confirmed.json()["token"]
    laptop, phone = Browser(server, username), Browser(server, address)
    assert laptop.me().status_code == phone.me().status_code == 200
    asked = post(server, "/api/password-reset", login=username)
    unknown = post(server, "/api/password-reset", login=new_email())
    assert (asked.status_code, asked.json()) == (unknown.status_code, unknown.json()) == (202, {"ok": True})
    code = mailed_code(inbox, address, count=2)
    reset = post(server, "/api/password-reset/confirm", login=address, code=code, password="a brand new secret")
    assert reset.status_code == 200, reset.text
    assert laptop.me().status_code == phone.me().status_code == 401  # their cookies no longer work
    headers = {"Authorization": f"Bearer {old_token}"}
    assert requests.get(server.url + "/api/me", headers=headers, timeout=10).status_code == 401
    new_token = {"Authorization": f"Bearer {reset.json()['token']}"}
    assert requests.get(server.url + "/api/me", headers=new_token, timeout=10).status_code == 200
    assert Browser(server, username, "a brand new secret").response.headers["Location"] == "/"
    assert Browser(server, username).response.status_code == 400  # the old password is gone


def database(server: LiveServer) -> sqlite3.Connection:
    return sqlite3.connect(server.workdir / "switchboard.db")


def test_an_expired_code_is_refused(server, inbox):
    address = new_email()
    username, _ = register(server, email=address)
    code = mailed_code(inbox, address)
    with closing(database(server)) as connection, connection:  # ten minutes later
        connection.execute("UPDATE account_codes SET expires_at = '2000-01-01 00:00:00.000000' WHERE address = ?",
                           (address,))
    expired = post(server, "/api/accounts/confirm", username=username, password=PASSWORD, code=code)
    assert (expired.status_code, expired.json()["error"]["code"]) == (400, "code_expired")


@pytest.mark.parametrize("password, shown", [
    ("password1", "That password is one of the most common ones: choose another."),
    ("{username}-2024", "The password must not contain the username."),
    ("short", "Field must be between 8 and 128 characters long."),
])
def test_weak_passwords_are_refused_next_to_the_field_on_the_page(server, password, shown):
    browser = requests.Session()
    page = browser.get(server.url + "/register", timeout=10).text
    username = f"u{uuid.uuid4().hex[:10]}"
    password = password.format(username=username.upper())
    response = browser.post(server.url + "/register", timeout=10, allow_redirects=False, data={
        "username": username, "email": new_email(), "password": password, "confirm": password,
        "csrf_token": OperatorBrowser.token_in(page)})
    assert response.status_code == 400
    field = re.search(r'<input[^>]*name="password"[^>]*>\s*<span class="field-error">([^<]*)</span>', response.text)
    assert field is not None and html.unescape(field.group(1)) == shown
    assert post(server, "/api/tokens", username=username, password=password).status_code == 401  # no account


def test_a_login_rehashes_a_password_when_the_method_changed(server, inbox, tmp_path):
    address = new_email()
    username, _ = register(server, email=address)
    post(server, "/api/accounts/confirm", username=username, password=PASSWORD, code=mailed_code(inbox, address))

    def stored_hash() -> str:
        with closing(database(server)) as connection:
            return connection.execute("SELECT password_hash FROM users WHERE username = ?", (username,)).fetchone()[0]

    before = stored_hash()
    assert before.startswith("pbkdf2:sha256:1$")
    # The same database served with a costlier method, as after raising PASSWORD_HASH_METHOD.
    upgraded = LiveServer(server.workdir, env={**server.env, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}, jobs=False)
    upgraded.start()
    try:
        assert post(upgraded, "/api/tokens", username=username, password="wrong password").status_code == 401
        assert stored_hash() == before  # only a right password is hashed anew
        assert post(upgraded, "/api/tokens", username=username, password=PASSWORD).status_code == 201
        after = stored_hash()
        assert after.startswith("pbkdf2:sha256:1000$") and after != before
        assert post(server, "/api/tokens", username=username, password=PASSWORD).status_code == 201  # still works
    finally:
        upgraded.stop()


def test_the_console_sender_writes_the_code_to_the_job_consumers_log(tmp_path_factory):
    """The default (development) sender: no mail server needed, the code is in the consumer's log."""
    console = LiveServer(tmp_path_factory.mktemp("console-sender"), env={"REGISTRATION": "email"})
    console.migrate()
    console.start()
    try:
        address = new_email()
        username, response = register(console, email=address)
        assert response.status_code == 202
        line = wait_for(lambda: next((line for line in console.consumer.log_text().splitlines()
                                      if f"email to {address} (confirm)" in line), None), what="the logged code")
        assert "INFO" in line and "notify.console" in line
        code = CODE.search(line).group(1)
        confirmed = post(console, "/api/accounts/confirm", username=username, password=PASSWORD, code=code)
        assert confirmed.status_code == 200
    finally:
        console.stop()
