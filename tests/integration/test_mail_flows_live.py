"""The mail flows on a real server (gunicorn + gevent, the real job consumer, a real SMTP server:
aiosmtpd on 127.0.0.1), as an attacker and the owner of an account would meet them: a reset asked
for just before a password change, codes the old mailbox got after the address changed, and
reset requests from anyone, again and again. Behind one trusted proxy (TRUSTED_PROXIES=1), so
that requests can come from many client addresses, as an attacker's would. Time passing is
made by moving a code's times back in the server's database (as test_registration_live does)."""
from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.integration.test_registration_live import CODE, PASSWORD, mailed_code, new_email, register
from tests.receivers import smtp_inbox
from tests.servers import Browser, JobConsumer, LiveServer, own_server, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def inbox():
    with smtp_inbox() as received:
        yield received


@pytest.fixture(scope="module")
def server(tmp_path_factory, inbox):
    yield from own_server(tmp_path_factory, "mail-flows", env={
        "REGISTRATION": "email", "TRUSTED_PROXIES": "1",
        "CODE_SENDER_EMAIL": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(inbox[1]), "SMTP_SECURITY": "none",
        "SMTP_FROM": "Switchboard <no-reply@example.org>",
    })


def post(server: LiveServer, path: str, client: str = "198.51.100.7", **body) -> requests.Response:
    return requests.post(server.url + path, json=body, headers={"X-Forwarded-For": client}, timeout=10)


def confirmed_account(server: LiveServer, inbox) -> tuple[str, str]:
    address = new_email()
    username, _ = register(server, email=address)
    confirmed = post(server, "/api/accounts/confirm", username=username, password=PASSWORD,
                     code=mailed_code(inbox, address))
    assert confirmed.status_code == 200, confirmed.text
    return username, address


def database(server: LiveServer) -> sqlite3.Connection:
    return sqlite3.connect(server.workdir / "switchboard.db")


def later(server: LiveServer, address: str, minutes: float) -> None:
    """`minutes` pass for the codes sent to `address`: their expiry and the wait before the next move back."""
    with closing(database(server)) as connection, connection:
        for column in ("next_send_at", "expires_at"):
            rows = connection.execute(f"SELECT id, {column} FROM account_codes WHERE address = ?",  # noqa: S608
                                      (address,)).fetchall()
            for row_id, value in rows:
                if value is not None:
                    moved = datetime.fromisoformat(value) - timedelta(minutes=minutes)
                    connection.execute(f"UPDATE account_codes SET {column} = ? WHERE id = ?",  # noqa: S608
                                       (moved.isoformat(sep=" "), row_id))


def mails_to(inbox, address: str) -> list[str]:
    return inbox[0].texts_to(address)


def test_a_reset_asked_for_before_the_owner_changes_the_password_sends_no_working_code(server, inbox):
    """Someone asks for the owner's reset code while the job consumer is busy (here: stopped); the
    owner changes the password meanwhile. The code must not come and undo that change."""
    username, address = confirmed_account(server, inbox)
    owner = Browser(server, username)
    server.consumer.stop()
    try:
        assert post(server, "/api/password-reset", login=username).status_code == 202
        changed = owner.post_form("/password", "/password", current_password=PASSWORD,
                                  new_password="the owner's new secret", confirm="the owner's new secret")
        assert changed.status_code == 302, changed.text[:300]
    finally:
        server.consumer = JobConsumer(server.environment(), server.workdir / "jobs-again.log").start()
    wait_for(lambda: "send_reset_code" in server.consumer.log_text() and "executed in" in server.consumer.log_text(),
             what="the reset job")
    marker = new_email()  # a later job: once its mail is in, the consumer is done with the reset
    register(server, email=marker)
    mailed_code(inbox, marker)
    sent = mails_to(inbox, address)
    if len(sent) > 1:  # a code came after all: it must not work
        code = CODE.search(sent[-1]).group(1)
        reset = post(server, "/api/password-reset/confirm", login=username, code=code, password="an attacker's one")
        assert reset.status_code == 400, reset.text
    assert len(sent) == 1  # the confirmation code only
    token = post(server, "/api/tokens", username=username, password="the owner's new secret")
    assert token.status_code == 201, token.text


def test_codes_the_old_mailbox_got_stop_working_once_the_address_changed(server, inbox):
    username, old = confirmed_account(server, inbox)
    assert post(server, "/api/password-reset", login=username).status_code == 202
    old_code = mailed_code(inbox, old, count=2)
    new = new_email()
    moved = post(server, "/api/accounts/resend", username=username, password=PASSWORD, email=new)
    assert moved.status_code == 202, moved.text
    confirmed = post(server, "/api/accounts/confirm", username=username, password=PASSWORD,
                     code=mailed_code(inbox, new))
    assert confirmed.status_code == 200, confirmed.text
    wait_for(lambda: len(mails_to(inbox, old)) >= 3, what="the change notice")  # the old address is told
    for login in (username, old, new):
        reset = post(server, "/api/password-reset/confirm", login=login, code=old_code, password="an attacker's one")
        assert (reset.status_code, reset.json()["error"]["code"]) == (400, "wrong_code"), reset.text


def test_reset_requests_from_anyone_never_keep_the_owner_from_a_code_for_long(server, inbox):
    """From many client addresses, someone asks for the owner's reset code each time the wait is over.
    Each code goes to the owner; ten minutes (a code's life) after the last one, the owner asking gets
    a new code and resets the password."""
    username, address = confirmed_account(server, inbox)
    for number in range(7):
        login = (username, address)[number % 2]
        assert post(server, "/api/password-reset", client=f"203.0.113.{number}", login=login).status_code == 202
        mailed_code(inbox, address, count=2 + number)
        with closing(database(server)) as connection:
            (wait_until,) = connection.execute("SELECT next_send_at FROM account_codes WHERE address = ? "
                                               "AND purpose = 'reset'", (address,)).fetchone()
        wait = datetime.fromisoformat(wait_until) - datetime.now(UTC).replace(tzinfo=None)
        assert wait <= timedelta(minutes=10, seconds=1)
        later(server, address, wait.total_seconds() / 60)  # the attacker waits it out
    later(server, address, 10)  # the owner comes back ten minutes later: the last code has expired
    assert post(server, "/api/password-reset", client="192.0.2.1", login=username).status_code == 202
    code = mailed_code(inbox, address, count=9)
    reset = post(server, "/api/password-reset/confirm", client="192.0.2.1", login=username, code=code,
                 password="the owner's new secret")
    assert reset.status_code == 200, reset.text


def test_addresses_match_whatever_their_case(server, inbox):
    username, address = confirmed_account(server, inbox)
    assert post(server, "/api/password-reset", login=address.upper()).status_code == 202
    code = mailed_code(inbox, address, count=2)
    reset = post(server, "/api/password-reset/confirm", login=f" {address.title()} ", code=code,
                 password="the owner's new secret")
    assert reset.status_code == 200, reset.text
    again = post(server, "/api/password-reset/confirm", login=username, code=code, password="yet another secret")
    assert (again.status_code, again.json()["error"]["code"]) == (400, "wrong_code")
