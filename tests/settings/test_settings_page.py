"""blueprints/settings: the /settings page, its sections and the link to it."""
import re

import pytest

from tests.factories import PASSWORD
from tests.helpers import database_rows
from tests.test_security_headers import INLINE


def test_strangers_are_sent_to_log_in(client):
    response = client.get("/settings")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_the_page_has_its_sections_and_no_inline_script(client, alice, auth):
    auth.login()
    page = client.get("/settings").get_data(as_text=True)
    assert 'id="password-section"' in page and 'href="/password?next=/settings"' in page
    assert not INLINE.search(page)


def test_the_chat_page_links_to_it(client, alice, auth):
    auth.login()
    assert 'href="/settings"' in client.get("/").get_data(as_text=True)


def login_as(app, username: str = "alice", user_agent: str = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD},
                       headers={"User-Agent": user_agent}).status_code == 302
    return client


def test_the_sessions_section_lists_them_and_logs_one_or_all_others_out(app, alice):
    mine = login_as(app)
    phone = login_as(app, user_agent="Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile Safari/537.36")
    laptop = login_as(app, user_agent="<b>Mozilla</b>/5.0 (Windows NT 10.0) Chrome/131.0 Safari/537.36")
    page = mine.get("/settings").get_data(as_text=True)
    assert page.count("data-session-id=") == 3 and 'id="this-device"' in page
    assert "Chrome on Android" in page and "Chrome on Windows" in page and "Firefox on Linux" in page
    with phone.session_transaction() as session:
        phone_session = session["login_session"]
    response = mine.post(f"/settings/sessions/{phone_session}/end")
    assert response.status_code == 302 and response.headers["Location"] == "/settings"
    assert phone.get("/api/me").status_code == 401 and laptop.get("/api/me").status_code == 200
    assert "Logged out: Chrome on Android." in mine.get("/settings").get_data(as_text=True)
    mine.post("/settings/sessions/end-others")
    assert laptop.get("/api/me").status_code == 401 and mine.get("/api/me").status_code == 200
    page = mine.get("/settings").get_data(as_text=True)
    assert page.count("data-session-id=") == 1 and 'id="end-others-form"' not in page


def test_someone_elses_session_cannot_be_ended_from_the_page(app, alice, bob):
    mine, bobs = login_as(app), login_as(app, "bob")
    with bobs.session_transaction() as session:
        bob_session = session["login_session"]
    mine.post(f"/settings/sessions/{bob_session}/end")
    assert "No such session." in mine.get("/settings").get_data(as_text=True)
    assert bobs.get("/api/me").status_code == 200


def test_tokens_are_created_shown_once_listed_and_revoked(app, alice, bob):
    client = login_as(app)
    response = client.post("/settings/tokens", data={"name": "<i>deploy</i>", "expires_in_days": "7",
                                                     "password": PASSWORD})
    assert response.status_code == 201
    page = response.get_data(as_text=True)
    token = re.search(r'value="(sbt_[^"]+)"', page).group(1)
    assert "&lt;i&gt;deploy&lt;/i&gt;" in page and "<i>deploy" not in page
    assert app.test_client().get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    again = client.get("/settings").get_data(as_text=True)
    assert token not in again and "&lt;i&gt;deploy&lt;/i&gt;" in again
    token_id = re.search(r'data-token-id="(\d+)"', again).group(1)
    assert login_as(app, "bob").post(f"/settings/tokens/{token_id}/revoke").status_code == 302
    assert app.test_client().get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    client.post(f"/settings/tokens/{token_id}/revoke")
    assert app.test_client().get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert "No API tokens." in client.get("/settings").get_data(as_text=True)


def test_a_token_that_never_expires(app, alice):
    client = login_as(app)
    assert client.post("/settings/tokens", data={"name": "forever", "expires_in_days": "0",
                                                             "password": PASSWORD}).status_code == 201
    assert client.get("/api/tokens").json["tokens"][0]["expires_at"] is None


@pytest.mark.parametrize("form", [{"name": "", "expires_in_days": "7", "password": PASSWORD},
                                  {"name": "x", "expires_in_days": "-3", "password": PASSWORD},
                                  {"name": "x" * 65, "expires_in_days": "7", "password": PASSWORD}])
def test_a_bad_token_form_is_refused_and_changes_nothing(app, alice, form):
    client = login_as(app)
    before = database_rows()
    response = client.post("/settings/tokens", data=form)
    assert response.status_code == 400
    assert 'class="flash error"' in response.get_data(as_text=True)
    if form["name"] != "x":  # the token's name is told as a token's (not as a group's: i18n.errors.FIELD_TEXTS)
        assert "A token name has 1 to 64 characters, without control characters." in response.get_data(as_text=True)
    assert database_rows() == before


@pytest.mark.parametrize("app_settings", [{"LOGIN_ATTEMPTS_PER_MINUTE": 3}])
def test_a_token_from_the_page_takes_the_password_and_wrong_ones_count_as_failed_logins(app, alice):
    """A session alone (a stolen cookie, a browser left open) minted a token that outlives it: the form now
    asks for the password again, as GitHub does before a personal token (and this page before two-factor)."""
    client = login_as(app)
    before = database_rows()
    for password in (None, "", "not the password"):
        form = {"name": "stolen", "expires_in_days": "0", **({} if password is None else {"password": password})}
        refused = client.post("/settings/tokens", data=form)
        assert refused.status_code == 401 and "sbt_" not in refused.get_data(as_text=True)
        assert "The password is wrong: no token was created." in refused.get_data(as_text=True)
    # the failures count as the account's failed logins: past LOGIN_ATTEMPTS_PER_MINUTE, refused before hashing
    limited = client.post("/settings/tokens", data={"name": "stolen", "expires_in_days": "0", "password": PASSWORD})
    assert limited.status_code == 429 and "sbt_" not in limited.get_data(as_text=True)
    assert database_rows() == before
