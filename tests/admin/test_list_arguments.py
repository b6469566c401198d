"""What an operator (or a hand-made link or form) puts in a panel's address or bulk-action form is
answered, never a 500, and changes nothing it should not: `?page=` and `?page_size=` beyond any list, number
filters beyond what the database compares, bulk actions on something that is not a row id."""
from __future__ import annotations

import pytest

from extensions import db
from models import User
from tests.helpers import database_rows

PANELS = ("user", "group", "message", "report", "attachment", "audit", "security_log", "invite", "job_failure")
HUGE = "99999999999999999999"


@pytest.mark.parametrize("panel", PANELS)
@pytest.mark.parametrize("arguments", [f"page={HUGE}", "page=-3", f"page_size={HUGE}", "page_size=-1",
                                       "page_size=100000"])
def test_a_list_beyond_any_page_is_shown_empty_or_from_the_start(operator_client, panel, arguments):
    response = operator_client.get(f"/admin/{panel}/?{arguments}")
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]


@pytest.mark.parametrize("path", [
    "/admin/attachment/?flt0_conversation_equals={value}",
    "/admin/attachment/?flt0_size_in_bytes_greater_than={value}",
    "/admin/message/?flt0_conversation_equals={value}",
    "/admin/audit/?flt0_target_id_equals={value}",
    "/admin/security_log/?flt0_user_id_equals={value}",
])
@pytest.mark.parametrize("value", [HUGE, "1e30", "-" + HUGE, "x"])
def test_a_number_filter_beyond_the_databases_numbers_is_an_invalid_filter(operator_client, world, path, value):
    response = operator_client.get(path.format(value=value))
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    assert "Invalid Filter Value" in response.get_data(as_text=True)


def test_a_number_filter_still_filters(operator_client, world):
    page = operator_client.get(f"/admin/message/?flt0_conversation_equals={world.group.id}").get_data(as_text=True)
    assert "Invalid Filter Value" not in page and "buy cheap watches" in page
    elsewhere = operator_client.get(f"/admin/message/?flt0_conversation_equals={world.group.id + 1}")
    assert "buy cheap watches" not in elsewhere.get_data(as_text=True)


@pytest.mark.parametrize("rowids", [["abc"], ["1.5"], [""], [HUGE], ["{bob}", "abc"]])
def test_a_bulk_action_on_something_else_than_row_ids_does_nothing(operator_client, bob, rowids):
    before = database_rows()
    response = operator_client.post("/admin/user/action/", data={
        "action": "deactivate", "rowid": [rowid.format(bob=bob.id) for rowid in rowids]}, follow_redirects=True)
    assert response.status_code == 200
    assert "rowid " in response.get_data(as_text=True)  # the flashed refusal says which field
    assert database_rows() == before
    db.session.expire_all()
    assert db.session.get(User, bob.id).active
