"""The back office's REST API for programs: operator bearer tokens only; broadcasts and notices."""
from actions.messages import message_history
from tests.admin.conftest import audit_entries
from tests.factories import make_group
from tests.helpers import database_rows, run_queued_jobs


def test_broadcast_to_everyone(client, operator_headers, alice, bob):
    response = client.post("/api/admin/broadcasts", json={"body": "Upgrade tonight"}, headers=operator_headers)
    assert response.status_code == 202
    assert response.json == {"ok": True, "recipients": 3, "queued": True}  # the operator is an account too
    assert _conversations(alice) == []
    run_queued_jobs()  # as the job consumer does
    [notices] = _conversations(alice)
    assert [m.body for m in message_history(alice, notices.id).messages] == ["Upgrade tonight"]
    assert audit_entries("broadcast.everyone")[0].after["recipients"] == 3


def test_notice_to_one_user_and_to_a_group(client, operator_headers, alice, bob):
    response = client.post(f"/api/admin/users/{bob.id}/notices", json={"body": "Your report was handled"},
                           headers=operator_headers)
    assert response.status_code == 201 and response.json["recipients"] == 1
    group = make_group(alice, members=[bob])
    response = client.post(f"/api/admin/groups/{group.id}/broadcasts", json={"body": "Welcome"},
                           headers=operator_headers)
    assert response.status_code == 201 and response.json["messages"][0]["conversation_id"] == group.id
    assert [e.action for e in audit_entries()] == ["broadcast.user", "broadcast.group"]


def test_bad_requests_change_nothing(client, operator_headers, alice):
    before = database_rows()
    for path, body, status, code in (
        ("/api/admin/broadcasts", {"body": ""}, 400, "invalid_body"),
        ("/api/admin/broadcasts", {"body": 12}, 400, "invalid_body"),
        ("/api/admin/users/999/notices", {"body": "x"}, 404, "user_not_found"),
        ("/api/admin/groups/999/broadcasts", {"body": "x"}, 404, "group_not_found"),
    ):
        response = client.post(path, json=body, headers=operator_headers)
        assert (response.status_code, response.json["error"]["code"]) == (status, code), path
    assert database_rows() == before


def test_a_broadcast_retried_with_its_idempotency_key_is_not_sent_twice(client, operator_headers, alice, bob):
    """A program that timed out waiting for the answer sends the same request again with the same Idempotency-Key
    (as Stripe's API takes it): 409 broadcast_already_sent, nothing sent again (the first one was); another key
    is another broadcast. Without the header every retry was sent once more."""
    import uuid

    group = make_group(alice, members=[bob])
    for path, status in (("/api/admin/broadcasts", 202), (f"/api/admin/users/{bob.id}/notices", 201),
                         (f"/api/admin/groups/{group.id}/broadcasts", 201)):
        key = {"Idempotency-Key": str(uuid.uuid4())}
        assert client.post(path, json={"body": "Once"}, headers={**operator_headers, **key}).status_code == status
        before = database_rows()
        again = client.post(path, json={"body": "Once"}, headers={**operator_headers, **key})
        assert (again.status_code, again.json["error"]["code"]) == (409, "broadcast_already_sent"), path
        assert "Idempotency-Key" in again.json["error"]["message"]  # a program sent no form: its key is named
        assert database_rows() == before
        other = {"Idempotency-Key": str(uuid.uuid4())}
        assert client.post(path, json={"body": "Twice"}, headers={**operator_headers, **other}).status_code == status
    run_queued_jobs()
    notices = next(c for c in _conversations(bob) if c.kind != "group" and c.id != group.id)
    assert sorted(m.body for m in message_history(bob, notices.id).messages) == ["Once", "Once", "Twice", "Twice"]
    assert sorted(m.body for m in message_history(bob, group.id).messages if m.body in ("Once", "Twice")) == [
        "Once", "Twice"]


def test_an_idempotency_key_that_is_no_token_is_refused_not_ignored(client, operator_headers, alice):
    before = database_rows()
    for key in ("", "a" * 65, "key with spaces", "clé"):
        response = client.post("/api/admin/broadcasts", json={"body": "x"},
                               headers={**operator_headers, "Idempotency-Key": key})
        assert (response.status_code, response.json["error"]["code"]) == (400, "invalid_idempotency_key"), key
    assert database_rows() == before


def _conversations(user):
    from actions.conversations import list_conversations

    return [summary.conversation for summary in list_conversations(user)]
