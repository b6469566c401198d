"""blueprints/api/__init__.py: every /api route takes the body fields it declares and refuses any other, a route
that takes no body included (docs/protocol.md, Input): walked over the app's url_map, so a new route is held to it
without a line here."""
from __future__ import annotations

import re

import pytest

from blueprints.api.openapi import openapi_document, openapi_path
from tests.factories import make_group
from tests.helpers import bearer, database_rows, error_of, refused

# The one route whose unknown field has its own code and message (its row in docs/protocol.md).
OWN_CODE = {("PUT", "/api/me/privacy"): "invalid_privacy"}


def api_routes(app) -> list[tuple[str, str, object]]:
    """(method, rule, view) of every /api route, HEAD and OPTIONS aside (Flask answers those itself)."""
    return sorted((method, rule.rule, app.view_functions[rule.endpoint]) for rule in app.url_map.iter_rules()
                  if rule.rule.startswith("/api/") for method in rule.methods - {"HEAD", "OPTIONS"})


def url_naming_nothing(rule: str) -> str:
    """The rule with ids that name nothing (a refusal of the body must come before a 404) and a made-up token."""
    return re.sub(r"<[^>]+>", "x", re.sub(r"<id:[^>]+>", "9007199254740991", rule))


def openapi_body(method: str, rule: str) -> str | None:
    """The body the OpenAPI document gives this route: its content type, or None for none."""
    body = openapi_document()["paths"][openapi_path(rule)][method.lower()].get("requestBody")
    return next(iter(body["content"])) if body else None


def test_every_route_refuses_a_field_it_does_not_take(app, client, operator):
    """An operator (whom every route lets in) sends {"no_such_field": 1} to every /api route: each refuses it
    400 invalid_field naming the field, before anything else (the ids name nothing, and no 404 comes first),
    nothing changed; a route that takes a multipart upload refuses the JSON as no form. A route's view is wrapped
    to refuse any body (blueprints.api.refuse_bodies_not_taken) exactly when its OpenAPI operation has none."""
    headers = bearer(operator)
    before = database_rows()
    answers, marked = {}, {}
    for method, rule, view in api_routes(app):
        answer = client.open(url_naming_nothing(rule), method=method, headers=headers, json={"no_such_field": 1})
        body = openapi_body(method, rule)
        marked[method, rule] = (not getattr(view, "refuses_a_body", False), body is not None)
        if body == "multipart/form-data":
            answers[method, rule] = error_of(answer) == (400, "invalid_form")
        elif (method, rule) in OWN_CODE:
            answers[method, rule] = error_of(answer) == (400, OWN_CODE[method, rule])
        else:
            answers[method, rule] = (error_of(answer) == (400, "invalid_field")
                                     and "no_such_field" in answer.get_json()["error"]["message"])
    assert len(answers) > 90
    assert [route for route, refused_it in answers.items() if not refused_it] == []
    assert [route for route, (is_marked, has_body) in marked.items() if is_marked != has_body] == []
    assert database_rows() == before


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/api/groups/{group}/leave", {"user_id": "{bob}"}),  # as if it removed bob: alice left, 200
    ("DELETE", "/api/groups/{group}/members/{bob}", {"role": "admin"}),  # as if it changed bob's role
    ("POST", "/api/groups/{group}/join", {"user_id": "{bob}"}),
    ("PUT", "/api/conversations/{group}/mute", {"until": "2030-01-01T00:00:00Z"}),
    ("DELETE", "/api/groups/{group}", {"reason": "spam"}),
    ("DELETE", "/api/messages/1/reactions", {"emoji": "👍"}),  # its emoji goes in the query
    ("GET", "/api/users", {"q": "bob"}),  # its query goes in the query string
])
def test_a_route_that_takes_no_body_refuses_one(client, alice, bob, carol, method, path, body):
    """docs/protocol.md, Input: what a client written from another route's row may send to one that takes no
    body is refused 400 invalid_field, naming the field, and nothing is done (each was done as without it)."""
    group = make_group(alice, "Team", [bob])
    names = {"{group}": str(group.id), "{bob}": str(bob.id)}
    for name, value in names.items():
        path = path.replace(name, value)
    body = {field: int(names[value]) if value in names else value for field, value in body.items()}
    headers = bearer(carol if path.endswith("/join") else alice)
    answer = client.open(path, method=method, headers=headers, json=body)
    assert error_of(answer) == (400, "invalid_field")
    assert next(iter(body)) in answer.get_json()["error"]["message"]
    assert refused(client.open, path, method=method, headers=headers, json=body) == (400, "invalid_field")


def test_a_body_is_refused_after_who_may_call_is(client, alice, bob, operator):
    """As a route's own check of its fields runs in the view: a caller with no login is told 401 and one who is
    no operator 403 (tests/admin: every admin route), whatever body they sent."""
    group = make_group(alice, "Team", [bob])
    assert refused(client.post, f"/api/groups/{group.id}/leave", json={"user_id": bob.id}) == (401, "unauthorized")
    assert refused(client.post, f"/api/admin/groups/{group.id}/archive", headers=bearer(alice),
                   json={"reason": "spam"}) == (403, "not_an_operator")
    assert refused(client.post, f"/api/admin/groups/{group.id}/archive", headers=bearer(operator),
                   json={"reason": "spam"}) == (400, "invalid_field")


@pytest.mark.parametrize("app_settings", [{"SEARCHES_PER_MINUTE": 1}])
def test_a_refused_body_counts_no_attempt(client, alice, bob):
    """The refusal comes before the view: a search refused for its body is not one of the searches counted
    (SEARCHES_PER_MINUTE, counted in the view's action, valid or not), nor does it note the token's use."""
    from actions.messages import send_message

    send_message(alice, make_group(alice, "Team", [bob]).id, "find me")
    headers = bearer(alice)
    for _ in range(3):
        assert refused(client.get, "/api/search/messages?q=find", headers=headers, json={"q": "find"}) == (
            400, "invalid_field")
    found = client.get("/api/search/messages?q=find", headers=headers)
    assert found.status_code == 200 and [m["body"] for m in found.get_json()["messages"]] == ["find me"]
    assert error_of(client.get("/api/search/messages?q=find", headers=headers)) == (429, "rate_limited")
