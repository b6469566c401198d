"""Refusals of the HTML routes (blueprints/errors.py): a small page in the user's language (English, Simplified
Chinese) saying what happened, with a link back to the chat, werkzeug's status and headers kept (a 405's Allow,
a 429's Retry-After); never the path or anything else the request sent. The API, and any request asking for
JSON, keep the error envelope of docs/protocol.md exactly."""
from __future__ import annotations

import pytest
from werkzeug.exceptions import TooManyRequests

from extensions import db
from tests.factories import PASSWORD, make_user
from tests.query_count import statements

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-GB"}


@pytest.fixture
def app_settings():
    return {"PROPAGATE_EXCEPTIONS": False}  # a fault answers 500 as in production, not raised into the test


@pytest.fixture
def routes(app):
    """Two HTML routes that fail: one refused by a rate limit, one with a fault of the server."""
    def limited():
        raise TooManyRequests(retry_after=30)

    def broken():
        raise RuntimeError("a fault with <b>secret</b> detail")

    app.add_url_rule("/test-limited", "test_limited", limited)
    app.add_url_rule("/test-broken", "test_broken", broken)


def page_of(response) -> str:
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<main class="auth-card error-page">' in html
    assert '<a class="button primary" id="error-back" href="/">' in html  # the way back
    assert '<link rel="stylesheet" href="/static/css/app.css' in html  # styled as the account pages
    return html


CASES = [  # (method, path, status, English heading, Chinese heading)
    ("GET", "/no-such-page", 404, "Page not found", "找不到页面"),
    ("GET", "/logout", 405, "Not possible here", "无法在此进行"),
    ("GET", "/test-limited", 429, "Too many requests", "请求过多"),
    ("GET", "/test-broken", 500, "Something went wrong", "出错了"),
]


@pytest.mark.parametrize(("method", "path", "status", "english", "chinese"), CASES)
def test_html_refusals_are_pages_in_the_users_language(client, routes, method, path, status, english, chinese):
    response = client.open(path, method=method, headers=EN)
    assert response.status_code == status
    html = page_of(response)
    assert '<html lang="en"' in html and f"<h1>{english}</h1>" in html and f"Error {status}" in html
    assert "secret" not in html and "no-such-page" not in html

    response = client.open(path, method=method, headers=ZH)
    assert response.status_code == status
    html = page_of(response)
    assert '<html lang="zh-Hans-CN"' in html and f"<h1>{chinese}</h1>" in html and "返回 Switchboard" in html
    assert english not in html


def test_the_refusals_keep_their_headers(client, routes):
    # werkzeug lists a 405's methods from a set: their order changes with the string hash seed
    assert set(client.get("/logout").headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    assert client.get("/test-limited").headers["Retry-After"] == "30"


def test_a_user_refused_the_back_office_and_a_body_too_large(app, client, auth):
    make_user("alice")
    auth.login()
    refused = client.get("/admin/", headers=ZH)
    assert refused.status_code == 403
    assert "<h1>无权访问</h1>" in page_of(refused)
    make_user("zhu").language = "zh_Hans_CN"  # the account's language wins over the browser's
    db.session.commit()
    other = app.test_client()
    other.post("/login", data={"username": "zhu", "password": PASSWORD})
    big = other.post("/settings/theme", data={"theme": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)}, headers=EN)
    assert big.status_code == 413
    assert "<h1>内容过大</h1>" in page_of(big)


def test_the_api_and_json_clients_keep_the_error_envelope(client, routes):
    assert_envelope(client.get("/api/no-such-route"), 404, "not_found")
    assert_envelope(client.post("/api/me"), 405, "method_not_allowed")
    assert_envelope(client.get("/no-such-page", headers={"Accept": "application/json"}), 404, "not_found")
    assert_envelope(client.get("/test-limited", headers={"Accept": "application/json"}), 429, "too_many_requests")
    assert_envelope(client.get("/test-broken", headers={"Accept": "application/json"}), 500, "internal_error")


def assert_envelope(response, status: int, code: str) -> None:
    assert response.status_code == status and response.mimetype == "application/json"
    body = response.get_json()
    assert body.keys() == {"ok", "error"} and body["ok"] is False and body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)


@pytest.mark.parametrize("app_settings", [{"WTF_CSRF_ENABLED": True, "PROPAGATE_EXCEPTIONS": False}])
def test_a_form_without_its_token_says_so_in_a_page(client):
    refused = client.post("/logout", headers=ZH)
    assert refused.status_code == 400
    html = page_of(refused)
    assert "<h1>表单已过期</h1>" in html and "CSRF" not in html
    assert_envelope(client.post("/logout", headers={"Accept": "application/json"}), 400, "csrf_failed")


def test_a_missing_static_file_reads_nothing_from_the_database(client, auth):
    """A script, style or icon that is not there (an old page's, a source map), fetched by a signed-in browser:
    werkzeug's bare 404, as static files are served outside any unit (blueprints/http_unit.py); the page, whose
    language is the account's, read the session's user outside any unit."""
    make_user("alice")
    auth.login()
    with statements() as seen:
        missing = client.get("/static/js/chat/no-such-module.js", headers=ZH)
    assert missing.status_code == 404 and "error-page" not in missing.get_data(as_text=True)
    assert seen == []
