"""blueprints/errors.py: every refusal, whatever raised it, answers in the one envelope
(payloads.error_payload) that socket acks use too."""
from __future__ import annotations

import pytest

from actions.errors import Forbidden, Unauthorized
from payloads import error_payload
from tests.factories import PASSWORD


def envelope(response) -> tuple[int, dict]:
    return response.status_code, response.get_json()


def test_the_envelope():
    assert error_payload(Forbidden("not_a_member", "No.")) == {"ok": False,
                                                              "error": {"code": "not_a_member", "message": "No."}}


def test_refusals_of_every_origin_share_the_envelope(client, alice, bob, auth):
    assert envelope(client.get("/api/me")) == (401, error_payload(
        Unauthorized("unauthorized", "Log in or send a bearer token.")))
    auth.login("bob", PASSWORD)
    status, body = envelope(client.get("/api/conversations/999"))
    assert (status, set(body), set(body["error"])) == (404, {"ok", "error"}, {"code", "message"})
    status, body = envelope(client.get("/api/nowhere"))
    assert (status, body["ok"], body["error"]["code"]) == (404, False, "not_found")


def test_a_temporary_password_is_refused_in_the_envelope(app, client, alice, auth):
    from extensions import db

    alice.must_change_password = True
    db.session.commit()
    auth.login()
    assert envelope(client.get("/api/conversations")) == (403, error_payload(
        Forbidden("password_change_required", "Choose a new password first.")))


@pytest.mark.parametrize("app_settings", [{"PROPAGATE_EXCEPTIONS": False}])  # as in production
def test_a_fault_answers_internal_error_and_no_traceback(app, client, alice, monkeypatch, caplog):
    from tests.helpers import bearer, database_rows

    def fail(*args, **kwargs):
        raise RuntimeError("a secret detail of the fault")

    monkeypatch.setattr("blueprints.api.conversations.open_direct_conversation", fail)
    headers = bearer(alice)
    before = database_rows()
    response = client.post("/api/direct", headers=headers, json={"user_id": alice.id})
    assert envelope(response) == (500, {"ok": False, "error": {
        "code": "internal_error", "message": "Something went wrong; nothing was changed."}})
    assert b"secret detail" not in response.data and b"Traceback" not in response.data
    assert database_rows() == before
    assert "a secret detail of the fault" in caplog.text  # the log keeps it, for the operators
