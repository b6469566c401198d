"""Pages in English and Simplified Chinese: chosen from Accept-Language, switched on /settings
(stored on the account, winning over the browser) or by a visitor's cookie; refusals change nothing."""
from __future__ import annotations

import json
import re
from html import unescape

import pytest

from extensions import db

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}


@pytest.fixture
def logged_in(client, alice, auth):
    auth.login()
    return client


def page(client, path, headers=None) -> str:
    response = client.get(path, headers=headers or {})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_settings_page_in_english_by_default(logged_in):
    html = page(logged_in, "/settings", {"Accept-Language": "fr-FR,de;q=0.8"})
    assert '<html lang="en" ' in html
    assert "<h1>Settings</h1>" in html and "<h2>Language</h2>" in html and "设置" not in html


def test_settings_page_in_chinese_from_the_browser(logged_in):
    html = page(logged_in, "/settings", ZH)
    assert '<html lang="zh-Hans-CN" ' in html
    assert "<h1>设置</h1>" in html and "<h2>语言</h2>" in html and "<h2>会话</h2>" in html
    assert "<h1>Settings</h1>" not in html


@pytest.mark.parametrize("header", ["zh", "zh-TW", "zh-Hans", "en-GB;q=0.5, zh-SG;q=0.9"])
def test_every_chinese_tag_reads_simplified_chinese(logged_in, header):
    assert "<h1>设置</h1>" in page(logged_in, "/settings", {"Accept-Language": header})


def test_the_chosen_language_is_stored_and_wins_over_the_browser(logged_in, alice):
    response = logged_in.post("/language", data={"language": "zh_Hans_CN", "next": "/settings"})
    assert response.status_code == 302 and response.headers["Location"] == "/settings"
    db.session.refresh(alice)
    assert alice.language == "zh_Hans_CN"
    html = page(logged_in, "/settings", {"Accept-Language": "en-US"})
    assert "<h1>设置</h1>" in html and "语言已更改。" in html  # the notice in the new language
    assert re.search(r'<option value="zh_Hans_CN" lang="zh-Hans-CN" selected>', html)
    logged_in.post("/language", data={"language": "", "next": "/settings"})  # back to the browser's
    db.session.refresh(alice)
    assert alice.language is None
    assert "<h1>Settings</h1>" in page(logged_in, "/settings", {"Accept-Language": "en-US"})


@pytest.mark.parametrize("value", ["fr", "zh", "EN", "x" * 500])
def test_an_unknown_language_is_refused_and_changes_nothing(logged_in, alice, value):
    alice.language = "zh_Hans_CN"
    db.session.commit()
    response = logged_in.post("/language", data={"language": value, "next": "/settings"})
    assert response.status_code == 302
    db.session.refresh(alice)
    assert alice.language == "zh_Hans_CN"
    assert "请选择所提供的语言之一。" in page(logged_in, "/settings", {"Accept-Language": "en"})  # by its code


def test_a_visitor_switches_with_a_cookie_and_never_leaves_the_site(client):
    response = client.post("/language", data={"language": "zh_Hans_CN", "next": "https://evil.example/"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "language=zh_Hans_CN" in response.headers["Set-Cookie"]
    assert '<html lang="zh-Hans-CN" ' in page(client, "/login", {"Accept-Language": "en"})
    client.post("/language", data={"language": ""})
    assert '<html lang="en" ' in page(client, "/login", {"Accept-Language": "en"})


@pytest.mark.parametrize("app_settings", [{"SESSION_COOKIE_SECURE": True}])
def test_the_language_cookie_is_secure_where_the_session_cookie_is(client):
    """Behind a proxy that ends TLS the request itself looks like plain HTTP: the cookie follows the
    deployment's setting (blueprints/settings/cookies.py, the theme's cookie too)."""
    cookie = client.post("/language", data={"language": "zh_Hans_CN"}).headers["Set-Cookie"]
    assert cookie.startswith("language=zh_Hans_CN;") and "Secure" in cookie and "HttpOnly" in cookie


def catalogue_of(html: str) -> dict:
    match = re.search(r'data-ui-strings="([^"]*)"', html)
    assert match, "the chat page carries its catalogue"
    return json.loads(unescape(match.group(1)))


def test_chat_page_in_chinese_carries_the_scripts_strings_and_error_texts(logged_in):
    html = page(logged_in, "/", ZH)
    assert 'placeholder="输入消息"' in html and ">发送<" in html
    assert "<script>" not in html  # the catalogue is data, not an inline script (CSP)
    catalogue = catalogue_of(html)
    assert catalogue["locale"] == "zh-Hans-CN" and catalogue["plurals"] == 1
    assert catalogue["strings"]["Leave {title}?"] == "退出「{title}」？"
    assert catalogue["errors"]["not_a_member"] == "你不是该会话的成员。"


def test_chat_page_in_english_carries_no_strings(logged_in):
    """Only the sentences for people that replace refusals worded for programs (i18n.errors.FIELD_TEXTS)."""
    catalogue = catalogue_of(page(logged_in, "/", {"Accept-Language": "en"}))
    assert catalogue["locale"] == "en" and catalogue["strings"] == {}
    assert catalogue["errors"]["invalid_name"] == (
        "Give the group a name of 1 to 80 characters, without control characters.")
    assert "not_a_member" not in catalogue["errors"]  # the server's own English message is shown


def test_api_errors_stay_english_on_a_chinese_browser(logged_in):
    response = logged_in.get("/api/conversations/999999", headers=ZH)
    body = response.get_json()
    assert response.status_code == 404
    assert body["error"]["code"] == "conversation_not_found" and body["error"]["message"] == "No such conversation."


@pytest.mark.parametrize("path, english, chinese", [
    ("/login", "<h1>Log in</h1>", "<h1>登录</h1>"),
    ("/register", "<h1>Create an account</h1>", "<h1>创建账号</h1>"),
    ("/password/forgot", "<h1>Forgot your password?</h1>", "<h1>忘记密码了？</h1>"),
    ("/password/reset", "<h1>Choose a new password</h1>", "<h1>设置新密码</h1>"),
])
def test_account_pages_in_both_languages(client, path, english, chinese):
    assert english in page(client, path, {"Accept-Language": "en"})
    html = page(client, path, ZH)
    assert chinese in html and english not in html


def test_the_login_page_offers_the_other_language(client):
    html = page(client, "/login", ZH)
    assert 'value="en" class="link-button" lang="en">English</button>' in html and "简体中文</button>" not in html
    assert "用户名、电子邮箱或手机号" in html  # the form's labels


def test_form_errors_and_refusals_in_chinese(client, alice):
    response = client.post("/register", headers=ZH, data={
        "username": "alice", "password": "a long passphrase 1", "confirm": "another passphrase 2"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "两次输入的密码不一致。" in html
    response = client.post("/login", headers=ZH, data={"username": "alice", "password": "wrong password"})
    assert "用户名或密码错误。" in response.get_data(as_text=True)
    response = client.post("/login", headers={"Accept-Language": "en"}, data={"username": "alice", "password": "nope"})
    assert "Wrong username or password." in response.get_data(as_text=True)


@pytest.mark.parametrize("app_settings", [{"LOCKOUT_FAILURES": 2}])
def test_a_locked_account_is_told_in_the_pages_language(client, alice):
    for _ in range(2):
        client.post("/login", headers=ZH, data={"username": "alice", "password": "wrong password"})
    response = client.post("/login", headers=ZH, data={"username": "alice", "password": "wrong password"})
    assert response.status_code == 429 and "登录失败次数过多" in response.get_data(as_text=True)
    response = client.post("/login", headers={"Accept-Language": "en"}, data={"username": "alice", "password": "x"})
    assert response.status_code == 429 and "this account is locked for now" in response.get_data(as_text=True)


def test_times_in_the_profiles_time_zone_and_the_readers_language(logged_in, alice):
    from datetime import datetime

    from actions import sessions

    row = sessions.list_sessions(alice)[0]
    row.created_at = datetime(2026, 12, 2, 15, 20)
    db.session.commit()
    assert "Dec 2, 2026 3:20\u202fPM UTC" in page(logged_in, "/settings", {"Accept-Language": "en"})
    alice.time_zone = "Asia/Shanghai"
    db.session.commit()
    assert "2026年12月2日 23:20 Asia/Shanghai" in page(logged_in, "/settings", ZH)


def test_plural_strings_reach_the_chat_page_with_their_forms(logged_in):
    catalogue = catalogue_of(page(logged_in, "/", ZH))
    assert catalogue["strings"]["{count} member, {online} online"] == ["{count} 位成员，{online} 人在线"]
