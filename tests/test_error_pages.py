"""Refusals of the HTML routes (blueprints/errors.py): a small page in the user's language (English, Simplified
Chinese) saying what happened, with a link back to the chat, werkzeug's status and headers kept (a 405's Allow,
a 429's Retry-After); never the path or anything else the request sent. The API, and any request asking for
JSON, keep the error envelope of docs/protocol.md exactly."""
from __future__ import annotations

import pytest
from flask import flash
from werkzeug.exceptions import TooManyRequests

from extensions import db
from tests import database_apps
from tests.factories import PASSWORD, make_user
from tests.query_count import statements
from tests.servers import free_port

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


def test_api_without_its_slash_and_the_file_routes_keep_the_envelope(client):
    """`/api` itself (a client that dropped the slash) was answered the HTML page, and so was a file route's 405."""
    assert_envelope(client.get("/api"), 404, "not_found")
    assert_envelope(client.get("/api?limit=1"), 404, "not_found")
    assert_envelope(client.get("/files/local-upload/abc"), 405, "method_not_allowed")


@pytest.mark.parametrize("app_settings", [{"WTF_CSRF_ENABLED": True, "PROPAGATE_EXCEPTIONS": False}])
def test_a_method_no_route_takes_is_405_before_the_csrf_check(client):
    """With a session cookie and no CSRF token, a method the address does not take is 405 (the envelope on
    the API), never csrf_failed: the token is checked only for a route that would answer."""
    make_user("alice")
    login_page = client.get("/login").get_data(as_text=True)
    token = login_page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    logged_in = client.post("/login", data={"csrf_token": token, "username": "alice", "password": PASSWORD})
    assert logged_in.status_code == 302
    assert_envelope(client.put("/api/me"), 405, "method_not_allowed")
    assert_envelope(client.put("/api/tokens"), 405, "method_not_allowed")
    assert client.put("/logout").status_code == 405 and client.put("/settings/tokens").status_code == 405
    assert_envelope(client.post("/api/tokens/current", headers={"Accept": "application/json"}), 405,
                    "method_not_allowed")
    assert_envelope(client.delete("/api/sessions?others=1"), 400, "csrf_failed")  # a route that takes it: checked


def test_an_error_page_leaves_the_flashed_messages_for_the_next_page(app, client, routes):
    """A message flashed for the next page (a form's 'Saved.') was shown, and used up, by an error page
    opened in between (a missing picture's link, a stale tab): the page it was meant for no longer had it."""
    def flashing():
        flash("Your profile is saved.", "success")
        return "ok"

    app.add_url_rule("/test-flashing", "test_flashing", flashing)
    client.get("/test-flashing")
    assert "Your profile is saved." not in page_of(client.get("/no-such-page"))
    assert "Your profile is saved." in client.get("/login").get_data(as_text=True)


def test_the_login_page_is_told_the_page_asked_for_exactly(client):
    """`next` had a trailing `?` (werkzeug's full_path): /login?next=/settings? ."""
    assert client.get("/settings").headers["Location"] == "/login?next=/settings"
    assert client.get("/settings?tab=2").headers["Location"] == "/login?next=/settings?tab%3D2"
    # A form sent after the session ended leads back to the page it was sent from, not to its address (a 405)
    sent = client.post("/settings/profile", headers={"Referer": "http://localhost/settings"})
    assert sent.headers["Location"] == "/login?next=/settings"


def test_an_outage_answers_the_styled_page_without_the_database(tmp_path):
    """The database really unreachable (nothing listens on its port): a signed-in user's page is the styled
    503 page in the browser's language, drawn for nobody (the user is in the database that is down); it was
    text/plain, as drawing the page read the user again."""
    app = database_apps.testing_app(f"postgresql+psycopg://switchboard@127.0.0.1:{free_port()}/switchboard", tmp_path,
                                    {"PROPAGATE_EXCEPTIONS": False})
    with app.app_context():
        client = app.test_client()
        with client.session_transaction() as session:  # the cookie of a browser that logged in before the outage
            session["_user_id"] = "1"
            session["_fresh"] = True
            session["login_session"] = "q2Xr1n0Zt8a6LkP3VwYc9Hd"
        for headers, heading in ((EN, "<h1>Briefly unavailable</h1>"), (ZH, "<h1>暂时无法使用</h1>")):
            down = client.get("/settings", headers=headers)
            assert down.status_code == 503 and heading in page_of(down)
        assert_envelope(client.get("/api/me"), 503, "unavailable")
