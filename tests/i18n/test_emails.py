"""Code e-mails in the reader's language, through a real SMTP server (aiosmtpd): the account's
chosen language, else the language of the page that asked for the code."""
from __future__ import annotations

import email
from email.header import decode_header, make_header

import pytest

from extensions import db
from models import User
from tests.factories import PASSWORD
from tests.test_api_accounts import sent_messages
from tests.test_notify import smtp_settings

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
PASSWORDS = {"password": "a long passphrase 1", "confirm": "a long passphrase 1"}


@pytest.fixture
def app_settings():
    return {"REGISTRATION": ("email",)}


def received(inbox) -> list[tuple[str, str]]:
    """(subject, body) of each message the SMTP server took."""
    letters = []
    for envelope in inbox.envelopes:
        message = email.message_from_bytes(envelope.content)
        subject = str(make_header(decode_header(message["Subject"])))
        letters.append((subject, message.get_payload(decode=True).decode(message.get_content_charset())))
    return letters


def test_registering_from_a_chinese_page_sends_the_code_in_chinese(app, client, smtp_server, caplog):
    inbox, port = smtp_server
    smtp_settings(app, port, "none")
    response = client.post("/register", headers=ZH, data={
        "username": "dave", "email": "dave@example.org", **PASSWORDS})
    assert response.status_code == 302
    sent_messages(caplog)  # runs the queued code job, as the consumer would
    ((subject, body),) = received(inbox)
    assert subject == "你的 Switchboard 确认验证码"
    assert body.startswith("你的 Switchboard 验证码是 ") and "10 分钟内有效" in body


def test_the_accounts_own_choice_wins_over_the_page(app, client, alice, smtp_server, caplog):
    inbox, port = smtp_server
    smtp_settings(app, port, "none")
    alice.email, alice.email_confirmed_at, alice.language = "alice@example.org", alice.created_at, "en"
    db.session.commit()
    assert client.post("/password/forgot", headers=ZH, data={"login": "alice"}).status_code == 302
    sent_messages(caplog)
    ((subject, body),) = received(inbox)
    assert subject == "Your Switchboard password reset code"
    assert body.startswith("Your Switchboard code is ") and "choose a new password" in body
    db.session.refresh(alice)
    assert db.session.get(User, alice.id).language == "en"


def test_an_english_page_sends_english(app, client, smtp_server, caplog):
    inbox, port = smtp_server
    smtp_settings(app, port, "none")
    client.post("/register", headers={"Accept-Language": "en-GB"}, data={
        "username": "erin", "email": "erin@example.org", **PASSWORDS})
    sent_messages(caplog)
    ((subject, body),) = received(inbox)
    assert subject == "Your Switchboard confirmation code" and "confirm your address" in body


@pytest.mark.parametrize(("seconds", "english", "chinese"), [
    (600, "it works for 10 minutes.", "10 分钟内有效"),
    (60, "it works for 1 minute.", "1 分钟内有效"),
])
def test_a_code_mail_says_how_long_the_code_works_in_the_readers_grammar(
        app, client, alice, smtp_server, caplog, seconds, english, chinese):
    """CODE_TTL_SECONDS in whole minutes, with the plural its language asks for: never "1 minutes"."""
    inbox, port = smtp_server
    smtp_settings(app, port, "none")
    app.config["CODE_TTL_SECONDS"] = seconds
    alice.email, alice.email_confirmed_at = "alice@example.org", alice.created_at
    db.session.commit()
    assert client.post("/password/forgot", headers=ZH, data={"login": "alice"}).status_code == 302
    app.test_client().post("/register", headers={"Accept-Language": "en-GB"}, data={
        "username": "erin", "email": "erin@example.org", **PASSWORDS})
    sent_messages(caplog)
    bodies = [body for _, body in received(inbox)]
    assert len(bodies) == 2
    assert any(english in body and "confirm your address" in body for body in bodies)
    assert any(chinese in body and "设置新密码" in body for body in bodies)


def test_a_reset_code_asked_from_a_chinese_page_comes_in_chinese(app, client, alice, smtp_server, caplog):
    """The account chose no language: the reset mail is written in the one its page was answered in,
    though the account is looked up by a job, after the answer."""
    inbox, port = smtp_server
    smtp_settings(app, port, "none")
    alice.email, alice.email_confirmed_at = "alice@example.org", alice.created_at
    db.session.commit()
    assert client.post("/password/forgot", headers=ZH, data={"login": "alice"}).status_code == 302
    sent_messages(caplog)
    ((subject, body),) = received(inbox)
    assert subject == "你的 Switchboard 密码重置验证码"
    assert body.startswith("你的 Switchboard 验证码是 ")


def test_the_replaced_address_is_told_in_the_accounts_language(app, client, auth, alice, smtp_server, caplog):
    inbox, port = smtp_server
    smtp_settings(app, port, "none")
    alice.email, alice.email_confirmed_at, alice.language = "alice@example.org", alice.created_at, "zh_Hans_CN"
    db.session.commit()
    auth.login()
    client.post("/confirm/resend", data={"address": "new@example.org", "next": "/settings", "password": PASSWORD})
    sent_messages(caplog)
    code = received(inbox)[0][1].split("验证码是 ")[1][:6]
    assert client.post("/confirm", data={"code": code}).status_code == 302
    sent_messages(caplog)
    (_, (subject, body)) = received(inbox)
    assert inbox.envelopes[1].rcpt_tos == ["alice@example.org"]
    assert subject == "你的 Switchboard 联系地址已更改"
    assert body.startswith("你的 Switchboard 账号 alice 的电子邮箱地址已改为 n•••@example.org")
