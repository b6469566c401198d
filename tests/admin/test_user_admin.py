"""Users panel and actions.user_admin: each change lands in the database and in the audit log."""
import re

import pytest

from actions.accounts import issue_api_token, user_for_token
from actions.errors import Conflict, Forbidden, InvalidInput
from actions.user_admin import create_user, deactivate_user, reactivate_user, reset_password, set_user_role
from models import ApiToken
from tests.admin.conftest import audit_entries, logged_in, reload, user_named
from tests.factories import PASSWORD
from tests.helpers import database_rows


def test_operator_creates_an_account_that_must_choose_its_password(app, operator, operator_client):
    response = operator_client.post("/admin/user/new/", data={
        "username": "Dave", "display_name": "Dave D", "email": "dave@example.org", "phone": "",
        "role": "user", "password": "first password", "must_change_password": "y"})
    assert response.status_code == 302
    dave = user_named("dave")
    assert (dave.display_name, dave.email, dave.role, dave.must_change_password) == (
        "Dave D", "dave@example.org", "user", True)
    [entry] = audit_entries("user.create")
    assert (entry.actor_id, entry.target_type, entry.target_id, entry.before) == (operator.id, "user", dave.id, None)
    assert entry.after["username"] == "dave" and "password_hash" not in entry.after
    # First login: the page to choose a password, before anything else.
    dave_client = logged_in(app, "dave", "first password")
    assert dave_client.get("/").headers["Location"].startswith("/password")


def test_operator_edits_names_and_contacts(operator, operator_client, bob):
    response = operator_client.post(f"/admin/user/edit/?id={bob.id}", data={
        "username": "robert", "display_name": "Robert", "email": "rob@example.org", "phone": "+491701234567"})
    assert response.status_code == 302
    bob = reload(bob)
    assert (bob.username, bob.display_name, bob.email, bob.phone) == ("robert", "Robert", "rob@example.org",
                                                                       "+491701234567")
    [entry] = audit_entries("user.edit")
    assert entry.before["username"] == "bob" and entry.after["username"] == "robert"
    assert entry.target_id == bob.id


def test_an_invalid_edit_is_refused_and_changes_nothing(operator_client, bob, carol):
    before = database_rows()
    response = operator_client.post(f"/admin/user/edit/?id={bob.id}", data={
        "username": "carol", "display_name": "Bob"})
    assert response.status_code == 200  # the form again, with the reason flashed
    assert "Another account already uses that username" in response.get_data(as_text=True)
    assert database_rows() == before


def test_an_operator_gives_no_account_a_reserved_name_and_one_named_so_before_keeps_it(operator, operator_client,
                                                                                          bob):
    """`@all` mentions a group's members (actions.validation.RESERVED_USERNAMES): neither a new account nor
    a renamed one is named so; an account named so before the rule keeps its name through an edit."""
    from extensions import db

    before = database_rows()
    for path, form in ((f"/admin/user/edit/?id={bob.id}", {"username": "all", "display_name": "Bob"}),
                       ("/admin/user/new/", {"username": "All", "display_name": "All", "role": "user",
                                             "password": "first password"})):
        response = operator_client.post(path, data=form)
        assert response.status_code == 200  # the form again, with the reason flashed
        assert "That username is reserved" in response.get_data(as_text=True)
    assert database_rows() == before
    bob.username = "all"  # as before the rule
    db.session.commit()
    response = operator_client.post(f"/admin/user/edit/?id={bob.id}", data={"username": "all", "display_name": "Al"})
    assert response.status_code == 302
    assert (reload(bob).username, reload(bob).display_name) == ("all", "Al")


def test_promote_and_demote(operator, operator_client, bob):
    operator_client.post(f"/admin/user/manage/{bob.id}/promote")
    assert reload(bob).role == "admin"
    operator_client.post("/admin/user/action/", data={"action": "demote", "rowid": [str(bob.id)]})
    assert reload(bob).role == "user"
    assert [(e.action, e.before["role"], e.after["role"]) for e in audit_entries()] == [
        ("user.promote", "user", "admin"), ("user.demote", "admin", "user")]


def test_operators_cannot_demote_or_deactivate_themselves(operator):
    with pytest.raises(Conflict):
        set_user_role(operator, operator.id, "user")
    with pytest.raises(Conflict):
        deactivate_user(operator, operator.id)
    assert reload(operator).role == "admin" and reload(operator).active
    assert audit_entries() == []


def test_only_operators_run_operator_actions(alice, bob):
    for attempt in (lambda: deactivate_user(alice, bob.id), lambda: set_user_role(alice, alice.id, "admin"),
                    lambda: create_user(alice, "mallory", "a long password")):
        with pytest.raises(Forbidden):
            attempt()
    assert reload(bob).active and reload(alice).role == "user"


def test_reset_password_sets_a_temporary_one_that_must_be_changed(app, operator, operator_client, bob):
    token = issue_api_token(bob).token
    response = operator_client.post(f"/admin/user/manage/{bob.id}/password",
                                    data={"temporary_password": "temporary secret"})
    assert response.status_code == 302
    bob = reload(bob)
    assert bob.must_change_password and bob.check_password("temporary secret") and not bob.check_password(PASSWORD)
    assert user_for_token(token) is None
    [entry] = audit_entries("user.reset_password")
    assert entry.after["must_change_password"] is True and entry.after["revoked_tokens"] == 1
    assert "temporary secret" not in str(entry.before) + str(entry.after)

    bob_client = logged_in(app, "bob", "temporary secret")
    assert bob_client.get("/").headers["Location"].startswith("/password")
    assert bob_client.get("/api/conversations").json["error"]["code"] == "password_change_required"
    wrong = bob_client.post("/password", data={"current_password": "nope", "new_password": "my own secret",
                                               "confirm": "my own secret"})
    assert wrong.status_code == 400 and reload(bob).must_change_password
    changed = bob_client.post("/password", data={"current_password": "temporary secret",
                                                 "new_password": "my own secret", "confirm": "my own secret"})
    assert changed.status_code == 302
    assert not reload(bob).must_change_password and reload(bob).check_password("my own secret")
    assert bob_client.get("/").status_code == 200


def test_deactivation_ends_sessions_tokens_and_sockets(app, operator, operator_client, bob, socket_client_for):
    token = issue_api_token(bob).token
    bob_client = logged_in(app, "bob")
    socket = socket_client_for("bob")
    assert socket.is_connected()

    operator_client.post(f"/admin/user/manage/{bob.id}/deactivate")

    bob = reload(bob)
    assert not bob.active and bob.deactivated_at is not None
    assert not socket.is_connected()  # cut by the action itself, not at bob's next event
    assert user_for_token(token) is None
    assert all(t.revoked_at is not None for t in ApiToken.query.filter_by(user_id=bob.id))
    assert bob_client.get("/").headers["Location"].startswith("/login")
    assert app.test_client().post("/login", data={"username": "bob", "password": PASSWORD}).status_code == 400
    assert not socket_client_for("bob").is_connected()
    [entry] = audit_entries("user.deactivate")
    assert (entry.before["active"], entry.after["active"], entry.after["revoked_tokens"]) == (True, False, 1)


def test_reactivation_lets_the_user_log_in_again(app, operator, bob):
    deactivate_user(operator, bob.id)
    reactivate_user(operator, bob.id)
    assert reload(bob).active and reload(bob).deactivated_at is None
    assert app.test_client().post("/login", data={"username": "bob", "password": PASSWORD}).status_code == 302
    assert [entry.action for entry in audit_entries()] == ["user.deactivate", "user.reactivate"]


def test_bulk_deactivate_skips_what_it_may_not_do(operator, operator_client, bob, carol):
    operator_client.post("/admin/user/action/", data={"action": "deactivate",
                                                      "rowid": [str(bob.id), str(carol.id), str(operator.id)]})
    assert not reload(bob).active and not reload(carol).active and reload(operator).active
    assert sorted(entry.target_id for entry in audit_entries("user.deactivate")) == sorted([bob.id, carol.id])


def test_reset_password_refuses_a_short_one(operator, bob):
    before = database_rows()
    with pytest.raises(InvalidInput) as refused:
        reset_password(operator, bob.id, "short")
    assert refused.value.code == "invalid_password"
    assert database_rows() == before


def test_the_users_list_shows_who_never_confirmed(operator_client, bob):
    from actions.accounts import register_user

    register_user("dave", "correct horse battery", confirmed=False)
    page = operator_client.get("/admin/user/").get_data(as_text=True)
    assert "Confirmed" in page
    confirmed = {}
    for row in page.split("<tr")[1:]:
        name = re.search(r'<td class="col-username">\s*<a href="[^"]+">(\w+)</a>\s*</td>', row)
        cell = re.search(r'<td class="col-confirmed_at">\s*([^<]*?)\s*</td>', row)
        if name and cell:
            confirmed[name.group(1)] = cell.group(1)
    assert confirmed["bob"].endswith(" UTC") and confirmed["dave"] == ""
