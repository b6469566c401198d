"""The change-password page, and the rule that a temporary password is changed before anything else."""
import pytest

from actions.errors import InvalidInput, Unauthorized
from actions.passwords import change_password
from actions.user_admin import reset_password
from blueprints.identity import LOGIN_SESSION_KEY
from tests.admin.conftest import logged_in, reload


def test_a_temporary_password_locks_the_session_to_the_password_page(app, operator, bob):
    reset_password(operator, bob.id, "temporary secret")
    browser = logged_in(app, "bob", "temporary secret")
    for path in ("/", "/admin/"):
        assert browser.get(path).headers["Location"].startswith("/password?next="), path
    refused = browser.get("/api/me")
    assert (refused.status_code, refused.json["error"]["code"]) == (403, "password_change_required")
    assert browser.get("/password").status_code == 200
    assert browser.post("/logout").headers["Location"].endswith("/login")


def test_change_password_rules(app, bob):
    with pytest.raises(Unauthorized):
        change_password(bob, "wrong", "a new password")
    with pytest.raises(InvalidInput) as same:
        change_password(bob, "correct horse battery", "correct horse battery")
    assert same.value.code == "password_unchanged"
    with pytest.raises(InvalidInput):
        change_password(bob, "correct horse battery", "short")
    change_password(bob, "correct horse battery", "a new password")
    assert reload(bob).check_password("a new password")


def test_the_page_goes_back_where_the_user_was_going(app, operator, bob):
    reset_password(operator, bob.id, "temporary secret")
    browser = logged_in(app, "bob", "temporary secret")
    response = browser.post("/password?next=/api/me", data={
        "current_password": "temporary secret", "new_password": "brand new secret", "confirm": "brand new secret"})
    assert response.headers["Location"] == "/api/me"
    assert browser.get("/api/me").json["user"]["username"] == "bob"
    mismatch = browser.post("/password", data={"current_password": "brand new secret", "new_password": "x" * 9,
                                               "confirm": "y" * 9})
    assert mismatch.status_code == 400 and reload(bob).check_password("brand new secret")
    offsite = browser.post("/password?next=https://evil.example/", data={
        "current_password": "brand new secret", "new_password": "third secret!", "confirm": "third secret!"})
    assert offsite.headers["Location"] == "/"


def test_a_form_sent_with_a_temporary_password_leads_back_to_its_page_not_to_its_address(app, operator, bob):
    """A page was open when an operator reset the password (bob, an operator too, had the back office open): its
    form goes to the password page, which leads back to that page after the change, never to the form's
    POST-only address (a GET there answers a bare 405). The form is not sent: nothing is done meanwhile."""
    from actions.user_admin import set_user_role

    set_user_role(operator, bob.id, "admin")
    reset_password(operator, bob.id, "temporary secret")
    browser = logged_in(app, "bob", "temporary secret")
    page = f"/admin/user/manage/?id={operator.id}"
    detour = browser.post(f"/admin/user/manage/{operator.id}/deactivate", headers={"Referer": f"http://localhost{page}"})
    assert detour.headers["Location"] == "/password?next=/admin/user/manage/?id%3D" + str(operator.id)
    changed = browser.post(detour.headers["Location"], data={
        "current_password": "temporary secret", "new_password": "brand new secret", "confirm": "brand new secret"})
    assert changed.headers["Location"] == page and browser.get(page).status_code == 200
    assert reload(operator).active
    # A form sent from nowhere known leads to the chat, as the password page does by default.
    reset_password(operator, bob.id, "temporary secret")
    browser = logged_in(app, "bob", "temporary secret")
    assert browser.post(f"/admin/user/manage/{operator.id}/deactivate").headers["Location"] == "/password?next=/"


def test_a_temporary_password_gets_no_token_and_no_socket(app, operator, bob):
    from extensions import socketio
    from tests.clients import IsolatedSocketClient

    reset_password(operator, bob.id, "temporary secret")
    refused = app.test_client().post("/api/tokens", json={"username": "bob", "password": "temporary secret"})
    assert (refused.status_code, refused.json["error"]["code"]) == (403, "password_change_required")
    browser = logged_in(app, "bob", "temporary secret")
    socket = IsolatedSocketClient(app, socketio, flask_test_client=browser)
    assert not socket.is_connected()
    with browser.session_transaction() as session:
        browsers_session = session[LOGIN_SESSION_KEY]
    change_password(reload(bob), "temporary secret", "brand new secret", keep_session_id=browsers_session)
    accepted = app.test_client().post("/api/tokens", json={"username": "bob", "password": "brand new secret"})
    assert accepted.status_code == 201
    assert IsolatedSocketClient(app, socketio, flask_test_client=browser).is_connected()
