"""The back office on both engines: what worked on SQLite only (Flask-Admin's own bulk delete compared
integer ids with the form's strings; PostgreSQL refuses that), and what an address or form may hold that
PostgreSQL refuses where SQLite does not (a NUL in a search, an id past 32 bits): answered, never a 500,
and nothing changed."""
from __future__ import annotations

import pytest

from tests.admin.conftest import audit_entries, reload
from tests.database_apps import ENGINES, engine_app
from tests.helpers import database_rows

HUGE = "99999999999999999999"
BAD_IDS = ["abc", "", "-1", "1.5", HUGE, str(2**31), str(2**53 - 1)]


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        yield app


def test_bulk_delete_deletes_through_the_panels_own_action(operator_client, world):
    response = operator_client.post("/admin/message/action/", data={"action": "delete", "rowid": [world.message.id]},
                                    follow_redirects=True)
    assert response.status_code == 200
    assert reload(world.message).deleted_at is not None
    assert len(audit_entries("message.delete")) == 1


def test_bulk_delete_of_something_else_than_row_ids_does_nothing(operator_client, world):
    before = database_rows()
    response = operator_client.post("/admin/message/action/", data={"action": "delete", "rowid": ["abc", HUGE]},
                                    follow_redirects=True)
    assert response.status_code == 200 and "rowid" in response.get_data(as_text=True)
    assert database_rows() == before


# Each of BAD_IDS in one test per page or panel: the pages are answered alike, and a test's own database,
# app, users and login cost far more than a request (a test per id was 168 more setups a run, on both engines).
@pytest.mark.parametrize("page", ["/admin/user/details/", "/admin/user/edit/", "/admin/group/edit/",
                                  "/admin/audit/details/", "/admin/security_log/details/",
                                  "/admin/job_failure/details/", "/admin/user/manage/", "/admin/group/members/",
                                  "/admin/message/context/", "/admin/report/review/"])
def test_a_page_for_an_id_that_names_nothing_is_answered(operator_client, world, page):
    answered = {bad_id: operator_client.get(f"{page}?id={bad_id}").status_code for bad_id in BAD_IDS}
    assert set(answered.values()) <= {200, 302, 400, 404}, answered


@pytest.mark.parametrize("panel", ["group", "message", "attachment", "job_failure"])
def test_deleting_an_id_that_names_nothing_changes_nothing(operator_client, world, panel):
    before = database_rows()
    answered = {bad_id: operator_client.post(f"/admin/{panel}/delete/", data={"id": bad_id}).status_code
                for bad_id in BAD_IDS}
    assert set(answered.values()) <= {302, 400, 404}, answered
    assert database_rows() == before


@pytest.mark.parametrize("address", [
    "/admin/user/?search=%00", "/admin/group/?search=%00", "/admin/attachment/?search=a%00b",
    "/admin/job_failure/?search=%00", "/admin/audit/?flt0_action_contains=%00", "/admin/user/?flt0_role_equals=%00",
    "/admin/attachment/?flt0_status_is=%00", "/admin/security_log/?flt0_kind_equals=%00",
    f"/admin/message/?flt0_conversation_equals={2**31}", f"/admin/audit/?flt0_target_id_equals={2**31}",
])
def test_a_list_address_the_database_cannot_compare_is_answered(operator_client, world, address):
    response = operator_client.get(address)
    assert response.status_code == 200, response.status_code


@pytest.mark.parametrize(("words", "said"), [(["a"] * 1000, "at most 200 characters"),
                                             ([f"w{number}" for number in range(11)], "at most 10 words")])
def test_a_search_of_many_words_is_answered(operator_client, world, words, said):
    response = operator_client.get("/admin/user/?search=" + "+".join(words))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and said in page  # said, and nothing listed
    assert "bob" not in page and "bob" in operator_client.get("/admin/user/").get_data(as_text=True)


@pytest.mark.parametrize(("address", "form"), [
    ("/admin/broadcast/", {"audience": "user", "username": "a\x00b", "body": "hi"}),
    ("/admin/group/members/{group}/add", {"username": "a\x00b"}),
])
def test_a_username_with_a_nul_in_a_form_names_nobody(operator_client, world, address, form):
    before = database_rows()
    response = operator_client.post(address.format(group=world.group.id), data=form, follow_redirects=True)
    assert response.status_code == 200 and "No such user" in response.get_data(as_text=True)
    assert database_rows() == before


def test_the_same_broadcast_form_sent_twice_is_refused_on_both_engines(operator_client, world):
    from tests.admin.test_broadcasts import the_form_as_shown

    form = {**the_form_as_shown(operator_client), "audience": "group", "group_id": str(world.group.id), "body": "Once"}
    assert operator_client.post("/admin/broadcast/", data=form).status_code == 302
    again = operator_client.post("/admin/broadcast/", data=form, follow_redirects=True)
    assert "This broadcast was sent already" in again.get_data(as_text=True)
    assert len(audit_entries("broadcast.group")) == 1


def test_the_same_broadcast_form_sent_twice_at_once_is_one_broadcast(app, operator, world):
    """A double click: both requests in flight together; the operator's row lock makes the second find the first."""
    from actions.broadcasts import broadcast_to_group
    from actions.errors import Conflict
    from extensions import db
    from models import User
    from tests.helpers import run_at_once

    def send():
        return broadcast_to_group(db.session.get(User, operator.id), world.group.id, "Once", once="the-same-form")

    outcomes = run_at_once(app, {"first": send, "second": send})
    assert sorted(type(outcome).__name__ for outcome in outcomes.values()) == sorted(["Broadcast", Conflict.__name__])
    assert len(audit_entries("broadcast.group")) == 1


@pytest.mark.parametrize("once", ["a\x00b", "\u00e9t\u00e9\U0001f600", "\\u0000"])
def test_a_broadcast_form_token_the_database_cannot_compare_is_answered(operator_client, world, once):
    """The form's one-time token is the browser's to send: one holding a NUL (PostgreSQL stores none, in
    text or JSON) was sent to the database as given, a 500; now a token that is not the page's own kind
    (letters, digits, - and _) is no token, and the broadcast goes once."""
    form = {"audience": "group", "group_id": str(world.group.id), "body": "Odd token", "once": once}
    response = operator_client.post("/admin/broadcast/", data=form, follow_redirects=True)
    assert response.status_code == 200 and "Sent to the group." in response.get_data(as_text=True)
    assert len(audit_entries("broadcast.group")) == 1
