"""Every back-office page and route: anonymous visitors go to the login page, logged-in
users get 403, operators get in. The admin API: operators only, with a token or a session."""
from io import BytesIO
from urllib.parse import parse_qs, urlsplit

import pytest

from actions.files import upload_attachment
from tests.admin.conftest import logged_in

PAGES = [
    "/admin/",
    "/admin/user/",
    "/admin/user/new/",
    "/admin/user/edit/?id={bob}",
    "/admin/user/details/?id={bob}",
    "/admin/user/manage/?id={bob}",
    "/admin/invite/",
    "/admin/invite/new/",
    "/admin/group/",
    "/admin/group/edit/?id={group}",
    "/admin/group/members/?id={group}",
    "/admin/message/",
    "/admin/message/context/?id={message}",
    "/admin/attachment/",
    "/admin/report/",
    "/admin/report/review/?id={report}",
    "/admin/audit/",
    "/admin/audit/details/?id={audit}",
    "/admin/security_log/",
    "/admin/broadcast/",
    "/admin/export/",
]

# Every POST route, with a body an operator's request would carry.
WRITES = [
    ("/admin/user/new/", {"username": "dave", "password": "a long password", "role": "user"}),
    ("/admin/user/edit/?id={bob}", {"username": "bob", "display_name": "Bobby"}),
    ("/admin/user/action/", {"action": "deactivate", "rowid": "{bob}"}),
    ("/admin/user/manage/{bob}/deactivate", {}),
    ("/admin/user/manage/{bob}/promote", {}),
    ("/admin/user/manage/{bob}/unlock", {}),
    ("/admin/user/manage/{bob}/password", {"temporary_password": "temporary password"}),
    ("/admin/invite/new/", {"uses": "2", "note": "for the team"}),
    ("/admin/group/edit/?id={group}", {"name": "Renamed", "description": ""}),
    ("/admin/group/delete/", {"id": "{group}"}),
    ("/admin/group/action/", {"action": "archive", "rowid": "{group}"}),
    ("/admin/group/archive/{group}/on", {}),
    ("/admin/group/members/{group}/add", {"username": "operator"}),
    ("/admin/group/members/{group}/{bob}/remove", {}),
    ("/admin/group/members/{group}/{bob}/role", {"role": "admin"}),
    ("/admin/message/action/", {"action": "hide", "rowid": "{message}"}),
    ("/admin/message/delete/", {"id": "{message}"}),
    ("/admin/message/moderate/{message}/hide", {}),
    ("/admin/attachment/delete/", {"id": "{attachment}"}),
    ("/admin/attachment/action/", {"action": "delete", "rowid": "{attachment}"}),
    ("/admin/report/review/{report}/dismissed", {}),
    ("/admin/broadcast/", {"audience": "everyone", "body": "hello"}),
    ("/admin/export/users.csv", {}),
    ("/admin/export/audit-log.json", {}),
    ("/admin/export/messages.csv", {"conversation_id": "{group}"}),
]


@pytest.fixture
def ids(world, operator, bob, operator_client):
    # One audit entry to look at: the operator hides and unhides nothing harmful.
    from actions.moderation import hide_message, unhide_message
    from tests.admin.conftest import audit_entries

    hide_message(operator, world.message.id)
    unhide_message(operator, world.message.id)
    attachment = upload_attachment(bob, world.group.id, "notes.txt", "text/plain", BytesIO(b"notes"))
    return {"bob": bob.id, "group": world.group.id, "message": world.message.id, "report": world.report.id,
            "audit": audit_entries()[0].id, "attachment": attachment.id}


def fill(template: str, ids: dict) -> str:
    return template.format(**ids)


def statuses(client, ids: dict) -> dict[str, tuple[int, str]]:
    """Each page's status and redirect target (one app for all pages: a fresh one per page is slow)."""
    answers = {}
    for page in PAGES:
        response = client.get(fill(page, ids))
        answers[page] = (response.status_code, response.headers.get("Location", "").split("?")[0])
    return answers


def test_anonymous_visitors_are_sent_to_the_login_page(client, ids):
    assert statuses(client, ids) == {page: (302, "/login") for page in PAGES}


def test_users_are_refused(user_client, ids):
    assert statuses(user_client, ids) == {page: (403, "") for page in PAGES}


def test_operators_get_in_and_never_see_a_password_hash(operator_client, ids, bob):
    assert statuses(operator_client, ids) == {page: (200, "") for page in PAGES}
    for page in PAGES:
        text = operator_client.get(fill(page, ids)).get_data(as_text=True)
        assert "password_hash" not in text and bob.password_hash not in text, page


def test_anonymous_and_user_writes_change_nothing(client, user_client, ids):
    from tests.helpers import database_rows

    before = database_rows()
    for route, form in WRITES:
        body = {key: fill(value, ids) for key, value in form.items()}
        anonymous = client.post(fill(route, ids), data=body)
        assert (anonymous.status_code, anonymous.headers.get("Location", "")[:6]) == (302, "/login"), route
        assert user_client.post(fill(route, ids), data=body).status_code == 403, route
    assert database_rows() == before


def login_leads_to(response) -> str:
    location = urlsplit(response.headers["Location"])
    assert (response.status_code, location.path) == (302, "/login")
    return parse_qs(location.query)["next"][0]


def test_a_form_sent_after_the_session_ended_leads_back_to_its_page_after_login(app, client, ids):
    """An operator's session ended (logged out elsewhere, ended by another operator) while a page was open: its
    form goes to the login page, which leads back to that page, never to the form's POST-only address (a GET
    there after the login is a bare 405). Nothing is done meanwhile: the operator sends the form anew."""
    from tests.helpers import database_rows

    before = database_rows()
    page = fill("/admin/user/manage/?id={bob}", ids)
    for route, form in WRITES:
        body = {key: fill(value, ids) for key, value in form.items()}
        response = client.post(fill(route, ids), data=body, headers={"Referer": f"http://localhost{page}"})
        assert login_leads_to(response) == page, route
    # Sent from nowhere known (no Referer, another site's, a page outside the back office): the dashboard.
    route = fill("/admin/user/manage/{bob}/deactivate", ids)
    for headers in ({}, {"Referer": f"http://evil.example{page}"}, {"Referer": "http://localhost/settings"}):
        assert login_leads_to(client.post(route, headers=headers)) == "/admin/", headers
    assert database_rows() == before
    # A page asked for is still where the login leads.
    assert login_leads_to(client.get(page)) == page
    login = client.post("/login?" + urlsplit(client.post(route, headers={"Referer": f"http://localhost{page}"})
                                             .headers["Location"]).query,
                        data={"username": "operator", "password": "correct horse battery"})
    assert login.headers["Location"] == page and client.get(page).status_code == 200


def test_a_deactivated_operator_is_locked_out_at_once(app, operator, bob):
    from actions.user_admin import deactivate_user, set_user_role

    other = logged_in(app, "operator")
    set_user_role(operator, bob.id, "admin")
    deactivate_user(bob, operator.id)
    # The session loader refuses inactive accounts: the cookie is as good as none.
    response = other.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_admin_api_needs_an_operator(app, client, operator, alice):
    from actions.accounts import issue_api_token

    user_token, operator_token = issue_api_token(alice).token, issue_api_token(operator).token
    body = {"body": "maintenance at noon"}
    for path in ("/api/admin/broadcasts", f"/api/admin/users/{alice.id}/notices"):
        anonymous = client.post(path, json=body)
        assert anonymous.status_code == 401 and anonymous.json["error"]["code"] == "unauthorized"
        refused = client.post(path, json=body, headers={"Authorization": f"Bearer {user_token}"})
        assert refused.status_code == 403 and refused.json["error"]["code"] == "not_an_operator"
        allowed = client.post(path, json=body, headers={"Authorization": f"Bearer {operator_token}"})
        assert allowed.status_code == (202 if path == "/api/admin/broadcasts" else 201), allowed.json


def test_flask_admins_own_exports_are_off(operator_client, ids):
    # Exports come only from the Export page, with explicit columns (no password hashes).
    for model in ("user", "group", "message", "attachment", "report", "audit"):
        response = operator_client.get(f"/admin/{model}/export/csv/")
        assert response.status_code == 302 and b"password" not in response.data, model
