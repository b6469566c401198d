"""schemathesis against a live gunicorn server: cases generated from GET /api/openapi.json, data
that fits the document and data that does not, for every operation. Any 5xx, an undocumented
status, a body or content type the document does not describe, fails; so does a traceback in
the server's log. Bounded: a few dozen cases per operation, about a minute in all."""
from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.servers import ChatUser, LiveServer

pytestmark = pytest.mark.integration

CASES = 20  # per operation and per mode
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    """A server of its own: schemathesis registers accounts and creates groups at random."""
    server = LiveServer(tmp_path_factory.mktemp("schemathesis"), jobs=False)
    server.migrate()
    server.start()
    yield server
    server.stop()


def operations(server_url: str):
    """Every operation; revoking the caller's own token last (the cases after its first get 401)."""
    schema = schemathesis.openapi.from_url(server_url + "/api/openapi.json", timeout=10)
    found = [result.ok() for result in schema.get_all_operations()]
    last = ("DELETE /api/tokens/{token_id}", "DELETE /api/tokens/current")  # either may revoke the caller's token
    return sorted(found, key=lambda operation: last.index(operation.label) + 1 if operation.label in last else 0)


@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE])
def test_the_live_api_keeps_its_document(own_server, mode):
    user = ChatUser.register(own_server.url)
    group = user.api("POST", "/groups", json={"name": "Fuzzed"}).json()["conversation"]
    sent = user.api("POST", f"/conversations/{group['id']}/messages", json={"body": "hello"}).json()["message"]
    known_ids = {"conversation_id": group["id"], "message_id": sent["id"], "user_id": user.id}
    session = requests.Session()
    calls = 0
    for operation in operations(own_server.url):
        # Most cases aim at rows that exist, so that they get past "not found" to the checks.
        path_ids = {parameter.name: known_ids[parameter.name] for parameter in operation.path_parameters
                    if parameter.name in known_ids and mode == schemathesis.GenerationMode.POSITIVE}

        @settings(max_examples=CASES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_ids or None))
        def check(case):
            nonlocal calls
            headers = {"Accept": "application/json", **user.headers}
            case.call_and_validate(base_url=own_server.url, session=session, headers=headers, checks=CHECKS,
                                   timeout=10)
            calls += 1

        try:
            check()
        except Unsatisfiable:  # nothing of it can break the document: no parameters, no body
            assert mode == schemathesis.GenerationMode.NEGATIVE, operation.label
    assert calls >= CASES * 20
    assert "Traceback" not in own_server.log_text()

