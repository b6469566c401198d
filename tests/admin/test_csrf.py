"""With CSRF protection on (as in production), back-office forms without the token are refused
and change nothing; with the token from the page they work."""
import re

import pytest

from tests.admin.conftest import audit_entries, reload, user_named
from tests.factories import PASSWORD
from tests.helpers import database_rows


@pytest.fixture
def app_settings():
    return {"WTF_CSRF_ENABLED": True}


def token_in(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


@pytest.fixture
def operator_browser(app, operator):
    browser = app.test_client()
    token = token_in(browser.get("/login").get_data(as_text=True))
    response = browser.post("/login", data={"username": "operator", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return browser


def test_forms_without_the_token_are_refused(operator_browser, bob):
    before = database_rows()
    for path, form in ((f"/admin/user/manage/{bob.id}/deactivate", {}),
                       ("/admin/user/new/", {"username": "mallory", "password": "a long password", "role": "admin"}),
                       ("/admin/user/action/", {"action": "promote", "rowid": str(bob.id)}),
                       ("/admin/broadcast/", {"audience": "everyone", "body": "forged"}),
                       ("/admin/export/users.csv", {})):
        assert operator_browser.post(path, data=form).status_code == 400, path
        assert operator_browser.post(path, data={**form, "csrf_token": "forged"}).status_code == 400, path
    assert database_rows() == before


def test_forms_with_the_token_work(operator_browser, bob):
    manage = operator_browser.get(f"/admin/user/manage/?id={bob.id}").get_data(as_text=True)
    response = operator_browser.post(f"/admin/user/manage/{bob.id}/deactivate", data={"csrf_token": token_in(manage)})
    assert response.status_code == 302 and not reload(bob).active

    create = operator_browser.get("/admin/user/new/").get_data(as_text=True)
    response = operator_browser.post("/admin/user/new/", data={
        "csrf_token": token_in(create), "username": "dave", "display_name": "", "email": "", "phone": "",
        "role": "user", "password": "a long password"})
    assert response.status_code == 302 and user_named("dave").must_change_password is False
    assert [entry.action for entry in audit_entries()] == ["user.deactivate", "user.create"]


def test_the_admin_api_with_a_session_cookie_needs_the_csrf_header(operator_browser):
    refused = operator_browser.post("/api/admin/broadcasts", json={"body": "from the page"})
    assert (refused.status_code, refused.json["error"]["code"]) == (400, "csrf_failed")
    assert audit_entries() == []
    token = token_in(operator_browser.get("/admin/broadcast/").get_data(as_text=True))
    allowed = operator_browser.post("/api/admin/broadcasts", json={"body": "from the page"},
                                    headers={"X-CSRFToken": token})
    assert allowed.status_code == 202
