"""blueprints/errors.py: every refusal, whatever raised it, answers in the one envelope
(payloads.error_payload) that socket acks use too."""
from __future__ import annotations

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
