"""admin/invites.py: operators issue invitations (the code shown once), and revoke them; each in
the audit log; an invitation opens accounts under REGISTRATION=invite until used up or revoked."""
import re

import pytest

from extensions import db
from models import Invite
from tests.admin.conftest import audit_entries
from tests.factories import PASSWORD

INVITE_ONLY = [{"REGISTRATION": ("invite",)}]


def issue(operator_client, **form) -> str:
    response = operator_client.post("/admin/invite/new/", data={"uses": "1", "note": "for Dave", **form},
                                    follow_redirects=True)
    assert response.status_code == 200
    return re.search(r"Invitation code (inv_[A-Za-z0-9_-]+) \(shown once\)", response.get_data(as_text=True)).group(1)


def register(client, code: str, username: str = "dave"):
    return client.post("/api/accounts", json={"username": username, "password": PASSWORD, "invite": code})


@pytest.mark.parametrize("app_settings", INVITE_ONLY)
def test_an_issued_invitation_opens_its_accounts_then_no_more(app, operator, operator_client):
    code = issue(operator_client, uses="2")
    invite = db.session.execute(db.select(Invite)).scalar_one()
    assert (invite.note, invite.uses_left, invite.created_by_id) == ("for Dave", 2, operator.id)
    assert code not in invite.code_hash
    listing = operator_client.get("/admin/invite/").get_data(as_text=True)
    assert "for Dave" in listing and code not in listing  # the code is shown once, at issue
    anonymous = app.test_client()
    assert register(anonymous, code).status_code == 201
    assert register(anonymous, code, "erin").status_code == 201
    assert register(anonymous, code, "frank").get_json()["error"]["code"] == "invalid_invite"
    (entry,) = audit_entries("invite.create")
    assert entry.after["uses_left"] == 2 and "code_hash" not in entry.after


@pytest.mark.parametrize("app_settings", INVITE_ONLY)
def test_a_revoked_invitation_opens_nothing(app, operator_client):
    code = issue(operator_client)
    invite = db.session.execute(db.select(Invite)).scalar_one()
    response = operator_client.post("/admin/invite/action/", data={"action": "revoke", "rowid": str(invite.id)})
    assert response.status_code == 302
    assert register(app.test_client(), code).get_json()["error"]["code"] == "invalid_invite"
    assert [entry.action for entry in audit_entries() if entry.target_type == "invite"] == [
        "invite.create", "invite.revoke"]


def test_an_invalid_issue_changes_nothing(operator_client):
    response = operator_client.post("/admin/invite/new/", data={"uses": "0"})
    assert response.status_code == 200  # the form again, with its error
    assert db.session.execute(db.select(Invite)).all() == []
