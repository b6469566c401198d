"""Two-factor authentication on the live gunicorn server, as a browser and a program meet it:
set up from the settings page, the code asked after the password, a wrong code refused, a
recovery code used once, and POST /api/tokens answering two_factor_required."""
from __future__ import annotations

import re
import time

import pyotp
import pytest
import requests

from tests.servers import ChatUser

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def password_step(server_url: str, username: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(server_url + "/login", timeout=10)
    answer = browser.post(server_url + "/login", allow_redirects=False, timeout=10, data={
        "username": username, "password": PASSWORD, "csrf_token": csrf_token(page.text)})
    assert answer.status_code == 302, answer.text
    browser.last_location = answer.headers["Location"]
    return browser


def code_step(browser: requests.Session, server_url: str, code: str) -> requests.Response:
    page = browser.get(server_url + "/login/two-factor", timeout=10)
    assert page.status_code == 200
    return browser.post(server_url + "/login/two-factor", data={"code": code, "csrf_token": csrf_token(page.text)},
                        allow_redirects=False, timeout=10)


def test_enrol_then_log_in_with_a_code_and_a_recovery_code(live_server):
    user = ChatUser.register(live_server.url, password=PASSWORD)
    browser = password_step(live_server.url, user.username)
    assert browser.last_location == "/"  # no second factor yet
    setup = browser.get(live_server.url + "/settings/two-factor", timeout=10)
    secret = re.search(r'id="two-factor-secret">([A-Z2-7]+)<', setup.text).group(1)
    totp = pyotp.TOTP(secret)
    enabled = browser.post(live_server.url + "/settings/two-factor", timeout=10,
                           data={"password": PASSWORD, "code": totp.now(), "csrf_token": csrf_token(setup.text)})
    assert enabled.status_code == 200
    recovery = re.findall(r"<li><code>([a-z2-9-]+)</code></li>", enabled.text)
    assert len(recovery) == 10
    assert 'data-enabled="yes"' in browser.get(live_server.url + "/settings", timeout=10).text

    # A new browser: the password alone opens nothing.
    second = password_step(live_server.url, user.username)
    assert second.last_location.endswith("/login/two-factor")
    assert second.get(live_server.url + "/api/me", timeout=10).status_code == 401
    assert code_step(second, live_server.url, "000000x").status_code == 401
    logged_in = code_step(second, live_server.url, totp.at(time.time() + 30))
    assert logged_in.status_code == 302 and logged_in.headers["Location"] == "/"
    assert second.get(live_server.url + "/api/me", timeout=10).json()["user"]["id"] == user.id

    # A recovery code, once.
    third = password_step(live_server.url, user.username)
    assert code_step(third, live_server.url, recovery[0]).status_code == 302
    fourth = password_step(live_server.url, user.username)
    assert code_step(fourth, live_server.url, recovery[0]).status_code == 401
    assert fourth.get(live_server.url + "/api/me", timeout=10).status_code == 401

    # Programs: the token route asks for the code too.
    body = {"username": user.username, "password": PASSWORD}
    missing = requests.post(live_server.url + "/api/tokens", json=body, timeout=10)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "two_factor_required"
    issued = requests.post(live_server.url + "/api/tokens", json={**body, "totp": recovery[1]}, timeout=10)
    assert issued.status_code == 201
