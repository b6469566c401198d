"""Operators see and end an account's login sessions from the Users panel (admin/users.py,
actions.user_admin end_user_session / end_user_sessions), with an audit entry each."""
import pytest

from actions.errors import Forbidden, NotFound
from actions.user_admin import end_user_session, end_user_sessions
from events.facts import SessionEnded
from tests.admin.conftest import audit_entries, logged_in
from tests.event_capture import capture


@pytest.fixture
def operator_client(app, operator):
    return logged_in(app, operator.username)


def session_of(client) -> str:
    with client.session_transaction() as session:
        return session["login_session"]


def test_the_manage_page_lists_the_accounts_sessions(app, operator_client, alice):
    phone = logged_in(app, "alice")
    page = operator_client.get(f"/admin/user/manage/?id={alice.id}").get_data(as_text=True)
    assert f'data-session-id="{session_of(phone)}"' in page and 'id="user-sessions"' in page


def test_an_operator_ends_one_session_and_the_audit_log_keeps_it(app, operator_client, operator, alice):
    phone, laptop = logged_in(app, "alice"), logged_in(app, "alice")
    captured = capture(app)
    response = operator_client.post(f"/admin/user/manage/{alice.id}/sessions/{session_of(phone)}/end")
    assert response.status_code == 302
    assert captured == [SessionEnded(alice.id, session_of(phone))]
    assert (phone.get("/api/me").status_code, laptop.get("/api/me").status_code) == (401, 200)
    (entry,) = audit_entries("user.end_session")
    assert (entry.actor_id, entry.target_id, entry.before["session"]["id"], entry.after) == (
        operator.id, alice.id, session_of(phone), {"ended_reason": "revoked_by_operator"})


def test_an_operator_ends_every_session(app, operator_client, alice):
    browsers = [logged_in(app, "alice"), logged_in(app, "alice")]
    operator_client.post(f"/admin/user/manage/{alice.id}/sessions/end-all")
    assert [client.get("/api/me").status_code for client in browsers] == [401, 401]
    assert [entry.after for entry in audit_entries("user.end_sessions")] == [{"ended_sessions": 2}]


def test_only_operators_end_others_sessions(app, alice, bob):
    phone = logged_in(app, "alice")
    with pytest.raises(Forbidden):
        end_user_session(bob, alice.id, session_of(phone))
    with pytest.raises(Forbidden):
        end_user_sessions(bob, alice.id)
    assert logged_in(app, "bob").post(f"/admin/user/manage/{alice.id}/sessions/end-all").status_code in (302, 403)
    assert audit_entries() == []
    assert phone.get("/api/me").status_code == 200


def test_a_session_of_another_account_is_not_found(app, operator, alice, bob):
    bobs = logged_in(app, "bob")
    with pytest.raises(NotFound):
        end_user_session(operator, alice.id, session_of(bobs))
    assert bobs.get("/api/me").status_code == 200
