"""The security log panel: operators read logins, failures, lockouts and password changes, filter
them by account, kind and address; nobody edits or deletes a row there (tests/admin/test_access.py
keeps regular users and visitors out)."""
import re

import pytest

from actions.passwords import change_password
from tests.admin.conftest import logged_in
from tests.factories import PASSWORD


@pytest.fixture
def history(app, alice, bob):
    """alice logs in, fails once from 198.51.100.7, changes her password (which ends her session);
    bob logs in."""
    logged_in(app, "alice")
    app.test_client().post("/login", data={"username": "alice", "password": "nope"},
                           environ_base={"REMOTE_ADDR": "198.51.100.7"}, headers={"User-Agent": "Guesser/1.0"})
    change_password(alice, PASSWORD, "a brand new password")
    logged_in(app, "bob")


def rows_of(page: str) -> list[str]:
    """The kinds column of a list page, in order (newest first)."""
    return re.findall(r'<td class="col-kind">\s*([a-z_]+)\s*</td>', page)


def test_operators_read_every_event_newest_first(app, operator, history):
    page = logged_in(app, "operator").get("/admin/security_log/").get_data(as_text=True)
    # the operator's own login is the newest
    assert rows_of(page) == ["login", "login", "session_revoked", "password_changed", "login_failed", "login"]
    assert "198.51.100.7" in page and "Guesser/1.0" in page and "wrong password" in page


def test_filters_by_account_kind_and_address(app, operator, history):
    client = logged_in(app, "operator")

    def listed(query: str) -> list[str]:
        return rows_of(client.get("/admin/security_log/?" + query).get_data(as_text=True))

    assert listed("flt0_account_contains=alice") == ["session_revoked", "password_changed", "login_failed", "login"]
    assert listed("flt0_kind_equals=login_failed") == ["login_failed"]
    assert listed("flt0_address_contains=198.51.100") == ["login_failed"]


def test_the_panel_is_read_only(app, operator, history):
    client = logged_in(app, "operator")
    assert client.get("/admin/security_log/new/").status_code in (302, 403, 404)
    assert client.get("/admin/security_log/edit/?id=1").status_code in (302, 403, 404)
    assert client.post("/admin/security_log/delete/", data={"id": "1"}).status_code in (302, 403, 404, 405)
    assert len(rows_of(client.get("/admin/security_log/").get_data(as_text=True))) == 6  # nothing deleted
