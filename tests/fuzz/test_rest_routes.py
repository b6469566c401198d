"""Every REST route, 1,000 hostile requests each (tests/fuzz/hostile.py), through the Flask test
client: each answers a status its OpenAPI operation documents, refusals in the error envelope with
a documented code, never a 5xx; nothing is logged as a fault; the database is as it was.

Routes and their fields come from the OpenAPI document (blueprints/api/openapi.py), which
tests/test_openapi.py holds to the url_map: a new route is fuzzed without a line here.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blueprints.api.openapi import openapi_document
from tests.fuzz.conftest import FUZZ_SETTINGS, World, is_documented
from tests.fuzz.hostile import (
    HOSTILE_IDS,
    HOSTILE_TOKENS,
    HOSTILE_VALUE,
    NOT_OBJECTS,
    hostile_query_value,
    plausible,
    unreadable_json,
)
from tests.helpers import database_rows

pytestmark = pytest.mark.fuzz

OPERATIONS = [(method.upper(), path, operation) for path, operations in openapi_document()["paths"].items()
              for method, operation in operations.items()]
ADMIN = "/api/admin/"


def json_fields(operation: dict) -> dict:
    content = operation.get("requestBody", {}).get("content", {})
    return content["application/json"]["schema"]["properties"] if "application/json" in content else {}


class Parts:
    """The strategies one operation's requests are drawn from, built once for all of its cases."""

    def __init__(self, path: str, operation: dict, world: World):
        parameters = operation.get("parameters", [])
        self.path_names = [p["name"] for p in parameters if p["in"] == "path"]
        query = {p["name"]: p["schema"] for p in parameters if p["in"] == "query"}
        self.fields = json_fields(operation)
        is_form = "multipart/form-data" in operation.get("requestBody", {}).get("content", {})
        public = operation.get("security") == []
        attacks = ["path"] * bool(self.path_names) + ["credentials"] * (not public) + ["query"] * bool(query)
        attacks += ["unreadable", "not_object", "fields"] * bool(self.fields) + ["form"] * is_form
        # An /api route that takes no body refuses one that is no object, or one with any field (docs/protocol.md,
        # Input); the downloads and the probe, outside /api, do not read one.
        attacks += ["unreadable", "not_object", "stray_fields"] * (
            path.startswith("/api/") and "requestBody" not in operation)
        self.attack = st.sampled_from(attacks or ["junk"])
        self.path_name = st.sampled_from(self.path_names) if self.path_names else None
        self.segment = {name: st.sampled_from(world.ids.get(name) or [1]) for name in self.path_names}
        self.credentials = st.text(st.characters(codec="latin-1", exclude_characters="\r\n"), min_size=1, max_size=80)
        self.query_names = st.lists(st.sampled_from(sorted(query)), min_size=1, unique=True) if query else None
        self.query_value = {name: hostile_query_value(schema) for name, schema in query.items()}
        self.plausible = {name: plausible(schema, world.ids.get(name, [])) for name, schema in self.fields.items()}
        self.hostile_names = (st.lists(st.sampled_from(sorted(self.fields)), min_size=1, unique=True)
                              if self.fields else None)
        self.form = st.binary(max_size=200)
        self.form_type = st.sampled_from([
            "multipart/form-data", "multipart/form-data; boundary=x", "text/plain", "application/json",
            "multipart/form-data; boundary=" + "b" * 80])
        self.junk = st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2)
        self.stray_fields = st.dictionaries(st.text(max_size=20), HOSTILE_VALUE, min_size=1, max_size=3)


@st.composite
def hostile_request(draw, method: str, path: str, parts: Parts, world: World) -> dict:
    """One request with at least one hostile part; everything else as a real client would send it."""
    attack = draw(parts.attack)
    headers = {"Accept": "application/json"}
    headers.update(world.operator_headers if path.startswith(ADMIN) else world.alice_headers)
    segments = {name: str(draw(parts.segment[name])) for name in parts.path_names}
    arguments: dict = {"headers": headers}
    if attack == "path":
        name = draw(parts.path_name)
        segments[name] = draw(HOSTILE_TOKENS if name == "token" else HOSTILE_IDS)
    elif attack == "credentials":
        headers["Authorization"] = "Bearer " + draw(parts.credentials).strip() + "x"
    elif attack == "query":
        names = draw(parts.query_names)
        arguments["query_string"] = {name: draw(parts.query_value[name]) for name in names}
    elif attack == "unreadable":
        sample = {name.rstrip("*"): draw(strategy) for name, strategy in parts.plausible.items()}
        arguments.update(data=draw(unreadable_json(sample)), content_type="application/json")
    elif attack == "not_object":
        arguments.update(data=json.dumps(draw(NOT_OBJECTS)), content_type="application/json")
    elif attack == "fields":
        hostile = draw(parts.hostile_names)
        body = {name: draw(HOSTILE_VALUE) for name in hostile}
        for name in set(parts.fields) - set(hostile):
            if draw(st.booleans()):
                body[name] = draw(parts.plausible[name])
        arguments.update(data=json.dumps(body), content_type="application/json")
    elif attack == "stray_fields":
        arguments.update(data=json.dumps(draw(parts.stray_fields)), content_type="application/json")
    elif attack == "form":
        arguments.update(data=draw(parts.form), content_type=draw(parts.form_type))
    else:  # nothing to attack: what a client may add is ignored
        arguments["query_string"] = draw(parts.junk)
    url = path
    for name, segment in segments.items():
        url = url.replace("{" + name + "}", segment)
    return {"method": method, "path": url, "attack": attack, **arguments}


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS,
                         ids=[f"{method} {path}" for method, path, _ in OPERATIONS])
def test_a_route_refuses_hostile_input(app, world, faults, method, path, operation):
    refuses_hostile_input(app, world, faults, method, path, operation, FUZZ_SETTINGS)


def refuses_hostile_input(app, world, faults, method, path, operation, fuzz_settings) -> None:
    """`fuzz_settings.max_examples` hostile requests to one route (tests/fuzz/test_rest_routes_postgresql.py
    runs fewer on PostgreSQL, which refuses what SQLite takes: NUL bytes, integers past 32 bits)."""
    client = app.test_client()
    documented = {int(status) for status in operation["responses"]}
    before = database_rows()
    cases = []

    @fuzz_settings
    @given(request=hostile_request(method, path, Parts(path, operation, world), world))
    def attack(request):
        faults.clear()  # each case answers for its own log
        attack_kind = request.pop("attack")
        response = client.open(request.pop("path"), **request)
        assert response.status_code < 500, response.data[:300]
        assert response.status_code in documented or response.status_code == 405, response.status_code
        if attack_kind != "junk":
            assert 400 <= response.status_code < 500, (response.status_code, response.data[:300])
        if response.status_code >= 400:
            body = response.get_json()
            assert body["ok"] is False and is_documented(body["error"]["code"]), body
        assert not faults, [record.getMessage() for record in faults]
        cases.append(attack_kind)

    attack()
    assert len(cases) >= fuzz_settings.max_examples
    assert database_rows() == before
