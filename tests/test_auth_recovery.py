"""blueprints/auth/recovery.py and the registration page: confirming an address, an unconfirmed
account reaching nothing else, forgotten passwords, and refusals shown next to their field."""
import re

import pytest

from actions.accounts import register_user
from extensions import db
from models import User
from models.account_code import AccountCode
from tests.factories import PASSWORD
from tests.helpers import database_rows
from tests.test_api_accounts import CODE, code_sent_to, sent_messages

EMAIL_ONLY = [{"REGISTRATION": ("email",)}]
CSRF_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def register_form(**fields) -> dict:
    return {"username": "dave", "display_name": "Dave", "email": "", "phone": "", "password": PASSWORD,
            "confirm": PASSWORD, **fields}


def error_next_to(page: str, field: str) -> list[str]:
    """The errors shown right after a field's input."""
    found = re.search(rf'<input[^>]*name="{field}"[^>]*>\s*((?:<span class="field-error">[^<]*</span>\s*)*)', page)
    return re.findall(r'<span class="field-error">([^<]*)</span>', found.group(1)) if found else []


@pytest.mark.parametrize("password, shown", [
    ("password1", "That password is one of the most common ones: choose another."),
    ("my tulip garden", None),  # long, not in the list, not the username: accepted
    ("xdave-2024x", "The password must not contain the username."),
    ("short", "Field must be between 8 and 128 characters long."),
])
def test_weak_passwords_are_refused_next_to_the_password_field(client, password, shown):
    before = database_rows()
    response = client.post("/register", data=register_form(password=password, confirm=password))
    if shown is None:
        assert response.status_code == 302
        return
    assert response.status_code == 400
    assert error_next_to(response.get_data(as_text=True), "password") == [shown]
    assert database_rows() == before


def test_a_taken_username_is_shown_next_to_the_username(client, alice):
    page = client.post("/register", data=register_form(username="ALICE")).get_data(as_text=True)
    assert error_next_to(page, "username") == ["That username is taken."]


def test_login_page_says_what_it_takes_and_links_the_forgotten_password(client):
    page = client.get("/login").get_data(as_text=True)
    assert "Username, email or phone" in page and 'href="/password/forgot"' in page


def test_log_in_on_the_page_with_an_email_or_a_phone(client):
    register_user("alice", PASSWORD, email="alice@example.org", phone="+14155550123")
    db.session.commit()
    for login in ("Alice@Example.org", "+1 415-555-0123"):
        response = client.post("/login", data={"username": login, "password": PASSWORD})
        assert (response.status_code, response.headers["Location"]) == (302, "/"), login
        assert client.get("/api/me").get_json()["user"]["username"] == "alice"
        client.post("/logout")


# REGISTRATION=email

@pytest.mark.parametrize("app_settings", EMAIL_ONLY)
def test_an_unconfirmed_account_reaches_only_its_confirmation(client, caplog):
    page = client.get("/register").get_data(as_text=True)
    assert 'name="email"' in page and 'name="phone"' not in page
    missing = client.post("/register", data=register_form())
    assert error_next_to(missing.get_data(as_text=True), "email") == ["Registration needs an email address."]
    response = client.post("/register", data=register_form(email="Dave@Example.org"))
    assert (response.status_code, response.headers["Location"]) == (302, "/confirm")
    assert client.get("/").headers["Location"] == "/confirm"
    refused = client.get("/api/conversations")
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (403, "unconfirmed")
    confirm_page = client.get("/confirm").get_data(as_text=True)
    assert "d•••@example.org" in confirm_page
    code = code_sent_to(caplog, "dave@example.org")
    wrong = client.post("/confirm", data={"code": "000000" if code != "000000" else "000001"})
    assert wrong.status_code == 400
    assert error_next_to(wrong.get_data(as_text=True), "code") == ["That code is wrong (4 tries left)."]
    done = client.post("/confirm", data={"code": code})
    assert (done.status_code, done.headers["Location"]) == (302, "/")
    assert client.get("/").status_code == 200
    assert db.session.execute(db.select(User)).scalar_one().email == "dave@example.org"


@pytest.mark.parametrize("app_settings", EMAIL_ONLY)
def test_logging_in_again_before_confirming_leads_to_the_confirmation(client, caplog):
    client.post("/register", data=register_form(email="dave@example.org"))
    client.post("/logout")
    response = client.post("/login", data={"username": "dave", "password": PASSWORD})
    assert client.get(response.headers["Location"]).headers["Location"] == "/confirm"
    resent = client.post("/confirm/resend")
    assert (resent.status_code, resent.headers["Location"]) == (303, "/confirm")
    # The resend delay (60 s) counted from the first code's send, on the wall clock: a loaded machine may
    # take a second or more between it and this request (a CI run answered 59).
    assert 50 <= int(resent.headers["Retry-After"]) <= 60
    assert "A code was sent a moment ago." in client.get("/confirm").get_data(as_text=True)


# forgotten password

def test_the_forgotten_password_page_says_the_same_for_any_account(client, caplog):
    register_user("alice", PASSWORD, email="alice@example.org")
    db.session.commit()
    pages = []
    for login in ("alice", "nobody", "nobody@example.org"):
        anonymous = client.application.test_client()
        response = anonymous.post("/password/forgot", data={"login": login})
        assert (response.status_code, response.headers["Location"]) == (302, "/password/reset")
        page = anonymous.get("/password/reset").get_data(as_text=True).replace(login, "LOGIN")
        pages.append(CSRF_TOKEN.sub("TOKEN", page))  # each browser has its own
    assert pages[0] == pages[1] == pages[2]
    assert "If an account matches, we sent a code" in pages[0]
    assert len(sent_messages(caplog)) == 1


@pytest.mark.parametrize(("app_settings", "english", "chinese"), [
    ({"CODE_TTL_SECONDS": 600}, "It works for 10 minutes.", "10 分钟内有效"),
    ({"CODE_TTL_SECONDS": 1800}, "It works for 30 minutes.", "30 分钟内有效"),
    ({"CODE_TTL_SECONDS": 60}, "It works for 1 minute.", "1 分钟内有效"),
])
def test_the_forgotten_password_page_says_how_long_a_code_works(client, english, chinese):
    """The page said '10 minutes' whatever CODE_TTL_SECONDS was; now it says the setting (one minute: singular)."""
    for language, expected in (("en", english), ("zh-CN", chinese)):
        browser = client.application.test_client()
        browser.post("/password/forgot", data={"login": "nobody"}, headers={"Accept-Language": language})
        assert expected in browser.get("/password/reset", headers={"Accept-Language": language}).get_data(as_text=True)


def test_reset_by_code_on_the_page_logs_in_and_refuses_next_to_the_fields(client, caplog):
    register_user("alice", PASSWORD, email="alice@example.org")
    db.session.commit()
    client.post("/password/forgot", data={"login": "alice@example.org"})
    code = CODE.search(sent_messages(caplog)[0]).group(1)
    form = {"login": "alice@example.org", "code": code, "password": "qwertyuiop", "confirm": "qwertyuiop"}
    weak = client.post("/password/reset", data=form)
    assert error_next_to(weak.get_data(as_text=True), "password") == [
        "That password is one of the most common ones: choose another."]
    wrong = client.post("/password/reset", data={**form, "code": "000000" if code != "000000" else "000001",
                                                 "password": "brand new secret", "confirm": "brand new secret"})
    assert error_next_to(wrong.get_data(as_text=True), "code") == [
        "That code is wrong or has expired. Ask for a new one if needed."]
    done = client.post("/password/reset", data={**form, "password": "brand new secret", "confirm": "brand new secret"})
    assert (done.status_code, done.headers["Location"]) == (302, "/")
    assert client.get("/api/me").get_json()["user"]["username"] == "alice"
    db.session.expire_all()
    assert db.session.execute(db.select(User)).scalar_one().check_password("brand new secret")


@pytest.mark.parametrize("app_settings", EMAIL_ONLY)
def test_the_confirmation_page_sends_the_code_to_a_corrected_address(client, caplog):
    from models.time import utcnow
    from tests.test_api_accounts import code_row

    client.post("/register", data=register_form(email="dave@exmaple.org"))
    sent_messages(caplog)
    row = code_row()
    row.next_send_at = utcnow()  # a minute later
    db.session.commit()
    response = client.post("/confirm/resend", data={"address": "dave@example.org"})
    assert (response.status_code, response.headers["Location"]) == (303, "/confirm")
    assert "d•••@example.org" in client.get("/confirm").get_data(as_text=True)
    assert client.post("/confirm", data={"code": code_sent_to(caplog, "dave@example.org")}).status_code == 302
    assert db.session.execute(db.select(User.email)).scalar_one() == "dave@example.org"


def test_an_address_is_added_from_the_settings_page_once_its_code_is_entered(client, auth, alice, caplog):
    auth.login()
    page = client.get("/settings").get_data(as_text=True)
    assert 'id="address-form"' in page and "Email: none" in page
    refused = client.post("/confirm/resend", data={"address": "nope@", "next": "/settings", "password": PASSWORD})
    assert (refused.status_code, refused.headers["Location"]) == (303, "/settings")
    assert "That is not an email address." in client.get("/settings").get_data(as_text=True)
    sent = client.post("/confirm/resend", data={"address": "Alice@Example.org", "next": "/settings",
                                                "password": PASSWORD})
    assert (sent.status_code, sent.headers["Location"]) == (303, "/confirm")
    assert "a•••@example.org" in client.get("/settings").get_data(as_text=True)  # waiting for its code
    assert client.post("/confirm", data={"code": code_sent_to(caplog, "alice@example.org")}).status_code == 302
    page = client.get("/settings").get_data(as_text=True)
    assert '<span id="current-email">alice@example.org</span>' in page
    again = client.post("/confirm/resend", data={"address": "alice@example.org", "next": "/settings",
                                                 "password": PASSWORD})
    assert again.headers["Location"] == "/settings"
    assert "That address is already yours." in client.get("/settings").get_data(as_text=True)


def test_a_new_address_from_the_settings_takes_the_password(client, auth, alice, caplog):
    """Someone holding only the session (a stolen cookie, a browser left open) cannot have the codes,
    and with them the password resets, sent to an address of theirs: as the API's resend, the
    settings page asks for the password."""
    alice.email, alice.email_confirmed_at = "alice@example.org", alice.created_at
    db.session.commit()
    auth.login()
    form_html = client.get("/settings").get_data(as_text=True).split('id="address-form"')[1].split("</form>")[0]
    assert 'name="password"' in form_html
    for password in (None, "not her password"):
        form = {"address": "thief@example.org", "next": "/settings", **({"password": password} if password else {})}
        refused = client.post("/confirm/resend", data=form)
        assert (refused.status_code, refused.headers["Location"]) == (303, "/settings")
        assert "The password is wrong." in client.get("/settings").get_data(as_text=True)
    assert sent_messages(caplog) == [] and db.session.execute(db.select(AccountCode)).first() is None
    sent = client.post("/confirm/resend", data={"address": "new@example.org", "next": "/settings",
                                                "password": PASSWORD})
    assert sent.headers["Location"] == "/confirm"
    change_form = client.get("/confirm").get_data(as_text=True).split('id="change-address-form"')[1].split("</form>")[0]
    assert 'name="password"' in change_form  # "Wrong address?" there asks for it too
    assert client.post("/confirm", data={"code": code_sent_to(caplog, "new@example.org")}).status_code == 302
    assert db.session.get(User, alice.id).email == "new@example.org"


def test_the_address_replaced_is_told_of_the_change(client, auth, alice, caplog):
    """As Slack and Google do: the owner reading the old mailbox learns that codes and password
    resets now go elsewhere, and can act if it was not them. Adding a first address tells nobody."""
    alice.email, alice.email_confirmed_at = "alice@example.org", alice.created_at
    db.session.commit()
    auth.login()
    client.post("/confirm/resend", data={"address": "new@example.org", "next": "/settings", "password": PASSWORD})
    client.post("/confirm", data={"code": code_sent_to(caplog, "new@example.org")})
    (notice,) = sent_messages(caplog)
    assert notice.startswith("email to alice@example.org (changed): ")
    assert "alice" in notice and "n•••@example.org" in notice and "new@example.org" not in notice
    row = db.session.execute(db.select(AccountCode)).scalar_one_or_none()
    assert row is None
    client.post("/confirm/resend", data={"address": "+14155550123", "next": "/settings", "password": PASSWORD})
    client.post("/confirm", data={"code": code_sent_to(caplog, "+14155550123")})
    assert sent_messages(caplog) == []  # a first phone number: nothing was replaced


@pytest.mark.parametrize("app_settings", EMAIL_ONLY)
def test_an_unconfirmed_account_opens_no_socket_until_confirmed(app, client, caplog):
    from extensions import socketio
    from tests.clients import IsolatedSocketClient

    client.post("/register", data=register_form(email="dave@example.org"))
    refused = IsolatedSocketClient(app, socketio, flask_test_client=client)
    assert not refused.is_connected()
    client.post("/confirm", data={"code": code_sent_to(caplog, "dave@example.org")})
    accepted = IsolatedSocketClient(app, socketio, flask_test_client=client)
    assert accepted.is_connected()
    accepted.disconnect()


@pytest.mark.parametrize("app_settings", EMAIL_ONLY)
def test_the_address_waiting_for_its_code_logs_in_unless_two_accounts_wait_for_it(app, client):
    client.post("/register", data=register_form(email="dave@example.org"))
    client.post("/logout")
    response = client.post("/login", data={"username": "Dave@Example.org", "password": PASSWORD})
    assert response.status_code == 302 and client.get("/").headers["Location"] == "/confirm"
    client.post("/logout")
    other = app.test_client()
    other.post("/register", data=register_form(username="mallory", email="dave@example.org"))
    # Two accounts wait for that address: it names neither (the usernames still do).
    assert client.post("/login", data={"username": "dave@example.org", "password": PASSWORD}).status_code == 400
    assert client.post("/login", data={"username": "dave", "password": PASSWORD}).status_code == 302


def test_a_login_no_account_can_have_is_refused_next_to_the_field(client):
    response = client.post("/password/forgot", data={"login": "alice\x00"})
    assert response.status_code == 400
    assert error_next_to(response.get_data(as_text=True), "login") == [
        "login must not contain control characters or unpaired surrogates."]
