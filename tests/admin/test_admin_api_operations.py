"""The admin REST API's operations (blueprints/api/admin.py): each one does what its panel does,
through the same action and so with the same audit entry; non-operators get 403 and bad input a
JSON error, and neither changes anything."""
from datetime import timedelta

from actions.accounts import issue_api_token, user_for_token
from actions.user_admin import deactivate_user
from blueprints.api.openapi import openapi_document
from extensions import db
from models import Membership, Message
from models.time import utcnow
from tests.admin.conftest import audit_entries
from tests.helpers import bearer, events, refused

NEXT_WEEK = (utcnow() + timedelta(days=7)).replace(microsecond=0).isoformat() + "Z"


def call(client, headers, method: str, path: str, json=None):
    response = client.open("/api/admin" + path, method=method, json=json, headers=headers)
    assert response.status_code < 300, (path, response.status_code, response.json)
    assert response.json["ok"] is True
    return response.json


def test_account_operations(client, operator_headers, operator, alice):
    token = issue_api_token(alice).token
    answer = call(client, operator_headers, "POST", f"/users/{alice.id}/suspend",
                  {"until": NEXT_WEEK, "reason": "Flooding"})
    assert (answer["user"]["active"], answer["user"]["suspension_reason"]) == (False, "Flooding")
    assert answer["user"]["suspended_until"].startswith(NEXT_WEEK[:19]) and "password_hash" not in answer["user"]
    assert user_for_token(token) is None
    assert call(client, operator_headers, "POST", f"/users/{alice.id}/unsuspend")["user"]["active"] is True
    assert call(client, operator_headers, "POST", f"/users/{alice.id}/deactivate")["user"]["active"] is False
    assert call(client, operator_headers, "POST", f"/users/{alice.id}/reactivate")["user"]["active"] is True
    answer = call(client, operator_headers, "POST", f"/users/{alice.id}/password",
                  {"temporary_password": "temporary password 9"})
    assert answer["user"]["must_change_password"] is True
    answer = call(client, operator_headers, "POST", f"/users/{alice.id}/role", {"role": "admin"})
    assert answer["user"]["role"] == "admin"
    shown = call(client, operator_headers, "GET", f"/users/{alice.id}")
    assert (shown["user"]["username"], shown["sessions"]) == ("alice", [])
    assert call(client, operator_headers, "DELETE", f"/users/{alice.id}/sessions") == {"ok": True, "ended": 0}
    assert [(entry.action, entry.actor_id, entry.target_id) for entry in audit_entries()] == [
        (action, operator.id, alice.id) for action in (
            "user.suspend", "user.unsuspend", "user.deactivate", "user.reactivate", "user.reset_password",
            "user.promote", "user.end_sessions")]


def test_ending_one_session_of_an_account(app, client, operator_headers, alice):
    from tests.admin.conftest import logged_in

    logged_in(app, "alice")
    [session] = call(client, operator_headers, "GET", f"/users/{alice.id}")["sessions"]
    answer = call(client, operator_headers, "DELETE", f"/users/{alice.id}/sessions/{session['id']}")
    assert answer == {"ok": True, "session_id": session["id"]}
    assert call(client, operator_headers, "GET", f"/users/{alice.id}")["sessions"] == []
    assert [entry.action for entry in audit_entries()] == ["user.end_session"]


def test_message_group_and_report_operations(client, operator_headers, operator, world, alice, bob, carol):
    message_id, group_id = world.message.id, world.group.id
    assert call(client, operator_headers, "POST", f"/messages/{message_id}/hide")["message"]["removed"] is True
    assert call(client, operator_headers, "POST", f"/messages/{message_id}/unhide")["message"]["removed"] is False
    answer = call(client, operator_headers, "POST", f"/reports/{world.report.id}/resolve", {"resolution": "dismissed"})
    assert (answer["report"]["status"], answer["report"]["resolution"]) == ("resolved", "dismissed")
    assert_documented(answer["report"], "SettledReport")
    assert call(client, operator_headers, "DELETE", f"/messages/{message_id}")["message"]["removed"] is True
    assert call(client, operator_headers, "POST", f"/groups/{group_id}/archive")["conversation"]["archived"] is True
    assert call(client, operator_headers, "POST", f"/groups/{group_id}/unarchive")["conversation"]["archived"] is False
    assert call(client, operator_headers, "DELETE", f"/groups/{group_id}/members/{carol.id}") == {"ok": True}
    response = client.post(f"/api/admin/groups/{group_id}/members", json={"user_id": carol.id},
                           headers=operator_headers)
    assert response.status_code == 201 and response.json["member"]["role"] == "member"
    answer = call(client, operator_headers, "PATCH", f"/groups/{group_id}/members/{carol.id}", {"role": "admin"})
    assert answer["member"] == {**answer["member"], "id": carol.id, "role": "admin"}
    assert reload_membership(group_id, carol.id).role == "admin"
    assert call(client, operator_headers, "DELETE", f"/groups/{group_id}") == {"ok": True}
    assert [entry.action for entry in audit_entries()] == [
        "message.hide", "message.unhide", "report.resolve", "message.delete", "group.archive", "group.unarchive",
        "group.remove_member", "group.add_member", "group.set_member_role", "group.delete"]
    assert {entry.actor_id for entry in audit_entries()} == {operator.id}


def assert_documented(payload: dict, schema: str) -> None:
    """The payload has the shape the OpenAPI document gives it (blueprints/api/openapi.py)."""
    from jsonschema import Draft202012Validator

    document = openapi_document()
    Draft202012Validator({"$ref": f"#/components/schemas/{schema}", "components": document["components"]}).validate(
        payload)


def reload_membership(conversation_id: int, user_id: int) -> Membership:
    from extensions import db

    db.session.expire_all()
    return db.session.execute(db.select(Membership).where(Membership.conversation_id == conversation_id,
                                                          Membership.user_id == user_id)).scalar_one()


ROUTES = [("GET", "/users/{user}"), ("POST", "/users/{user}/deactivate"), ("POST", "/users/{user}/reactivate"),
          ("POST", "/users/{user}/suspend"), ("POST", "/users/{user}/unsuspend"), ("POST", "/users/{user}/password"),
          ("POST", "/users/{user}/role"), ("DELETE", "/users/{user}/sessions"),
          ("DELETE", "/users/{user}/sessions/abc"), ("POST", "/messages/{message}/hide"),
          ("POST", "/messages/{message}/unhide"), ("DELETE", "/messages/{message}"),
          ("POST", "/groups/{group}/archive"), ("POST", "/groups/{group}/unarchive"), ("DELETE", "/groups/{group}"),
          ("POST", "/groups/{group}/members"), ("PATCH", "/groups/{group}/members/{user}"),
          ("DELETE", "/groups/{group}/members/{user}"), ("POST", "/reports/{report}/resolve")]


def test_a_non_operator_gets_403_and_changes_nothing(client, world, alice, bob):
    headers = bearer(alice)
    for method, path in ROUTES:
        path = path.format(user=bob.id, message=world.message.id, group=world.group.id, report=world.report.id)
        assert refused(client.open, "/api/admin" + path, method=method, headers=headers,
                       json={"until": NEXT_WEEK, "reason": "x", "role": "admin", "user_id": bob.id,
                             "resolution": "dismissed", "temporary_password": "temporary password 9"}) == (
            403, "not_an_operator"), path
    assert refused(client.post, f"/api/admin/users/{bob.id}/deactivate") == (401, "unauthorized")


def test_bad_input_gets_a_json_error_and_changes_nothing(client, operator_headers, operator, world, alice, bob):
    deactivate_user(operator, bob.id)
    group, report = world.group.id, world.report.id
    for method, path, body, expected in [
        ("POST", "/users/999/deactivate", None, (404, "user_not_found")),
        ("GET", "/users/999", None, (404, "user_not_found")),
        ("POST", f"/users/{alice.id}/suspend", {"until": "soon", "reason": "x"}, (400, "invalid_until")),
        ("POST", f"/users/{alice.id}/suspend", {"until": NEXT_WEEK}, (400, "invalid_reason")),
        ("POST", f"/users/{bob.id}/suspend", {"until": NEXT_WEEK, "reason": "x"}, (409, "already_deactivated")),
        ("POST", f"/users/{operator.id}/suspend", {"until": NEXT_WEEK, "reason": "x"}, (409, "cannot_suspend_self")),
        ("POST", f"/users/{alice.id}/unsuspend", None, (409, "not_suspended")),
        ("POST", f"/users/{alice.id}/password", {"temporary_password": "short"}, (400, "invalid_password")),
        ("POST", f"/users/{alice.id}/role", {"role": "king"}, (400, "invalid_role")),
        ("DELETE", f"/users/{alice.id}/sessions/nonesuch", None, (404, "session_not_found")),
        ("POST", "/messages/999/hide", None, (404, "message_not_found")),
        ("DELETE", "/messages/999", None, (404, "message_not_found")),
        ("POST", "/groups/999/archive", None, (404, "group_not_found")),
        ("POST", f"/groups/{group}/members", {"user_id": "carol"}, (400, "invalid_user_id")),
        ("POST", f"/groups/{group}/members", {"user_id": alice.id}, (409, "already_a_member")),
        ("PATCH", f"/groups/{group}/members/{alice.id}", {"role": "emperor"}, (400, "invalid_role")),
        ("DELETE", f"/groups/{group}/members/{operator.id}", None, (404, "member_not_found")),
        ("POST", f"/reports/{report}/resolve", {"resolution": "burn"}, (400, "invalid_resolution")),
        ("POST", "/reports/999/resolve", {"resolution": "dismissed"}, (404, "report_not_found")),
        ("POST", f"/users/{alice.id}/role", [1, 2], (400, "invalid_json")),
    ]:
        answer = refused(client.open, "/api/admin" + path, method=method, json=body, headers=operator_headers)
        assert answer == expected, (method, path)


def test_a_message_its_author_deleted_stays_deleted_by_its_author_whatever_operators_do(
        client, operator_headers, world, bob, carol, socket_client_for):
    """An operator hiding, resolving a report by hiding, or erasing a message that its author deleted
    first: for the members it stays "deleted" (`removed_by: "author"`), and nobody is told of a change
    they would see as "removed by a moderator". Before, the hide set it hidden and every member's page
    relabelled it."""
    message_id, group_id = world.message.id, world.group.id
    response = client.delete(f"/api/messages/{message_id}", headers=bearer(bob))
    assert response.status_code == 200, response.json
    carols_page = socket_client_for("carol")
    events(carols_page)

    hidden = call(client, operator_headers, "POST", f"/messages/{message_id}/hide")["message"]
    assert (hidden["removed"], hidden["removed_by"]) == (True, "author")
    call(client, operator_headers, "POST", f"/reports/{world.report.id}/resolve", {"resolution": "message_hidden"})
    erased = call(client, operator_headers, "DELETE", f"/messages/{message_id}")["message"]
    assert (erased["removed"], erased["removed_by"]) == (True, "author")

    history = client.get(f"/api/conversations/{group_id}/messages", headers=bearer(carol)).json["messages"]
    [shown] = [message for message in history if message["id"] == message_id]
    assert (shown["removed"], shown["removed_by"], shown["body"]) == (True, "author", "")
    assert [payload["message"]["removed_by"] for name, payload in events(carols_page)
            if name == "message:updated"] in ([], ["author"])
    assert db.session.get(Message, message_id).body == ""  # erased for good all the same


def test_a_field_not_taken_is_refused_by_the_group_member_routes(client, operator_headers, world, alice, bob, carol):
    """As POST /api/groups/<id>/members: {user_id} and {role} only; a typo (`userid`, `rolee`) or another
    field (`role` when adding) is 400 invalid_field, not invalid_user_id, a member added with a role left out,
    or 200 with the role unchanged."""
    group_id = world.group.id
    members = f"/api/admin/groups/{group_id}/members"
    call(client, operator_headers, "DELETE", f"/groups/{group_id}/members/{carol.id}")
    for body in ({"userid": carol.id}, {"user_id": carol.id, "role": "admin"}):
        assert refused(client.post, members, headers=operator_headers, json=body) == (400, "invalid_field")
    for body in ({"rolee": "admin"}, {"role": "admin", "user_id": bob.id}):
        assert refused(client.patch, f"{members}/{bob.id}", headers=operator_headers, json=body) == (
            400, "invalid_field")


def test_a_field_not_taken_is_refused_by_every_route_that_takes_a_body(client, operator_headers, world, alice):
    """Each admin route that reads a body refuses a typo or a field it does not take (400 invalid_field), not
    sends, suspends or settles as if the field were not there: a `bodyy`, a `hour`, a `duration`."""
    group_id, report_id = world.group.id, world.report.id
    sends, answers = {"Idempotency-Key": "key-1"}, {}
    for method, path, body in (
            ("POST", "/broadcasts", {"body": "hi", "title": "News"}),
            ("POST", f"/users/{alice.id}/notices", {"bodyy": "hi"}),
            ("POST", f"/groups/{group_id}/broadcasts", {"body": "hi", "pinned": True}),
            ("POST", f"/users/{alice.id}/suspend", {"reason": "spam", "duration": 3600}),
            ("POST", f"/users/{alice.id}/password", {"temporary_password": "Temporary-1234", "notify": False}),
            ("POST", f"/users/{alice.id}/role", {"rol": "admin"}),
            ("POST", f"/reports/{report_id}/resolve", {"resolution": "sender_messages_hidden", "hour": 24})):
        answers[path] = refused(client.open, f"/api/admin{path}", method=method, json=body,
                                headers={**operator_headers, **sends})
    assert answers == dict.fromkeys(answers, (400, "invalid_field"))
    assert audit_entries() == []
