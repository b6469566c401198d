"""blueprints/auth/routes.py: register, log in and log out through the real forms."""
import re
from urllib.parse import urljoin, urlsplit

import pytest

from actions.validation import GROUP_DESCRIPTION_LENGTH, GROUP_NAME_LENGTH
from extensions import db
from models import User
from tests.factories import PASSWORD
from tests.helpers import database_rows

ORIGIN = "http://localhost/"


def logged_in_as(client) -> str | None:
    response = client.get("/api/me")
    return response.get_json()["user"]["username"] if response.status_code == 200 else None


def register_form(**fields) -> dict:
    return {"username": "dave", "display_name": "Dave", "email": "", "password": PASSWORD, "confirm": PASSWORD,
            **fields}


def stays_on_this_site(location: str) -> bool:
    """Where a browser would go: browsers read a backslash in a URL as a slash."""
    return urlsplit(urljoin(ORIGIN, location.replace("\\", "/"))).netloc == "localhost"


# pages

def test_the_pages_render_their_forms(client):
    login = client.get("/login").get_data(as_text=True)
    assert 'name="username"' in login and 'name="password"' in login
    register = client.get("/register").get_data(as_text=True)
    assert all(f'name="{field}"' in register for field in ("username", "display_name", "email", "password",
                                                          "confirm"))


@pytest.mark.parametrize("page", ["/login", "/register", "/password/forgot", "/password/reset"])
def test_a_form_page_answers_head_as_it_answers_get(client, page):
    """An uptime check or a link checker asks HEAD: a form page answered it 400, as if a form had been
    refused (only a POST that fails is)."""
    assert client.get(page).status_code == 200
    assert client.head(page).status_code == 200


def test_the_chat_page_sends_strangers_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("field_id, limit", [
    ("group-name", GROUP_NAME_LENGTH), ("group-description", GROUP_DESCRIPTION_LENGTH),  # a new group
    ("group-edit-name", GROUP_NAME_LENGTH), ("group-edit-description", GROUP_DESCRIPTION_LENGTH),  # its panel
])
def test_the_chat_pages_group_forms_take_what_the_server_accepts(client, auth, alice, field_id, limit):
    auth.login()
    page = client.get("/").get_data(as_text=True)
    field = re.search(rf'<(?:input|textarea)[^>]*id="{field_id}"[^>]*>', page).group(0)
    assert f'maxlength="{limit}"' in field


# register

def test_register_creates_the_account_and_logs_in(client):
    response = client.post("/register", data=register_form(username="Dave"))
    assert (response.status_code, response.headers["Location"]) == (302, "/")
    user = db.session.execute(db.select(User)).scalar_one()
    assert (user.username, user.display_name, user.email, user.role) == ("dave", "Dave", None, "user")
    assert user.password_hash != PASSWORD
    assert logged_in_as(client) == "dave"
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("fields, shown", [
    ({"username": "ALICE"}, "That username is taken."),
    ({"confirm": PASSWORD + "!"}, "Passwords differ."),
    ({"password": "short", "confirm": "short"}, "Field must be between 8 and 128 characters long."),
    ({"username": "a b c"}, "Usernames are 3 to 32 characters"),
    ({"username": ""}, "This field is required."),
    ({"email": "nope"}, "That is not an email address."),
])
def test_register_refusals_show_why_and_change_nothing(client, alice, fields, shown):
    before = database_rows()
    response = client.post("/register", data=register_form(**fields))
    assert response.status_code == 400
    assert shown in response.get_data(as_text=True)
    assert database_rows() == before
    assert logged_in_as(client) is None


def test_pages_escape_what_users_wrote(client):
    client.post("/register", data=register_form(display_name="<img src=x onerror=alert(1)>"))
    page = client.get("/").get_data(as_text=True)
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    anonymous = client.__class__(client.application)
    response = anonymous.post("/login", data={"username": "<script>alert(1)</script>", "password": "x" * 8})
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


# login

def test_login_with_any_case_of_the_username(client, alice):
    response = client.post("/login", data={"username": " ALICE ", "password": PASSWORD})
    assert (response.status_code, response.headers["Location"]) == (302, "/")
    assert logged_in_as(client) == "alice"


@pytest.mark.parametrize("data, shown", [
    ({"username": "alice", "password": "wrong password"}, "Wrong username or password."),
    ({"username": "nobody", "password": PASSWORD}, "Wrong username or password."),
    ({"username": "alice"}, "This field is required."),
])
def test_login_refusals(client, alice, data, shown):
    response = client.post("/login", data=data)
    assert response.status_code == 400
    assert shown in response.get_data(as_text=True)
    assert logged_in_as(client) is None


def test_a_deactivated_user_cannot_log_in(client, alice):
    alice.active = False
    db.session.commit()
    response = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 400
    assert "This account is deactivated." in response.get_data(as_text=True)
    assert logged_in_as(client) is None


def test_logged_in_users_skip_the_forms(client, auth, alice):
    auth.login()
    assert client.get("/login").headers["Location"] == "/"
    assert client.get("/register").headers["Location"] == "/"


# the `next` parameter

@pytest.mark.parametrize("target", ["/some/page?x=1", "/admin/", "/a/b/"])
def test_next_leads_to_a_same_site_path(client, alice, target):
    response = client.post("/login", query_string={"next": target}, data={"username": "alice", "password": PASSWORD})
    assert (response.status_code, response.headers["Location"]) == (302, target)


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
    "/\t/evil.example", " //evil.example", "http:/evil.example", "javascript:alert(1)", "evil.example",
])
def test_next_never_leads_to_another_site(client, alice, target):
    response = client.post("/login", query_string={"next": target}, data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert stays_on_this_site(response.headers["Location"]), response.headers["Location"]
    assert logged_in_as(client) == "alice"


def test_the_login_redirect_brings_you_back(client, alice):
    location = client.get("/").headers["Location"]
    response = client.post(location, data={"username": "alice", "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_a_login_link_opened_once_logged_in_leads_on_to_its_page(client, alice):
    """A tab left on /login?next=/settings after another tab logged in was sent to the chat, not to its page."""
    client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert client.get("/login?next=/settings").headers["Location"] == "/settings"
    sent_again = client.post("/login?next=/settings", data={"username": "x", "password": "y"})
    assert sent_again.headers["Location"] == "/settings"
    assert client.get("/login?next=//evil.example").headers["Location"] == "/"


# logout

def test_logout_needs_post(client, auth, alice):
    auth.login()
    assert client.get("/logout").status_code == 405
    assert logged_in_as(client) == "alice"
    response = auth.logout()
    assert (response.status_code, response.headers["Location"]) == (302, "/login")
    assert logged_in_as(client) is None
    assert client.get("/").status_code == 302


# with CSRF protection on, as in production

def csrf_token_of(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


@pytest.mark.parametrize("app_settings", [{"WTF_CSRF_ENABLED": True}])
def test_forms_need_their_csrf_token(client, alice):
    before = database_rows()
    assert client.post("/login", data={"username": "alice", "password": PASSWORD}).status_code == 400
    assert client.post("/register", data=register_form()).status_code == 400
    assert logged_in_as(client) is None and database_rows() == before
    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and logged_in_as(client) == "alice"
    assert client.post("/logout").status_code == 400  # no page can log you out
    assert logged_in_as(client) == "alice"
    page_token = csrf_token_of(client.get("/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": page_token}).status_code == 302
    assert logged_in_as(client) is None
