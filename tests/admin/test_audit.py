"""The audit log is append-only: the ORM, bulk statements and the database refuse changes;
the panel is read-only."""
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from actions.group_admin import delete_group, remove_group_member
from actions.messages import send_message
from actions.moderation import hide_message
from actions.reports import resolve_report
from extensions import db
from models import AuditEntry
from models.audit import AppendOnlyError
from tests.admin.conftest import audit_entries, message_in_a_new_group, page_and_statements
from tests.factories import make_group
from tests.helpers import run_queued_jobs


@pytest.fixture
def entry(operator, alice, bob) -> AuditEntry:
    group = make_group(alice, members=[bob])
    hide_message(operator, send_message(bob, group.id, "x").message.id)
    [entry] = audit_entries()
    return entry


def test_entries_say_who_did_what_to_what_and_when(entry, operator):
    assert (entry.actor_id, entry.actor_name, entry.action, entry.target_type) == (
        operator.id, "operator", "message.hide", "message")
    assert entry.created_at is not None and entry.before["hidden"] is False and entry.after["hidden"] is True


def test_the_orm_refuses_to_change_or_delete_an_entry(entry):
    entry.action = "nothing.happened"
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(entry)
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(AppendOnlyError):
        db.session.execute(db.update(AuditEntry).values(action="x"))
    with pytest.raises(AppendOnlyError):
        db.session.execute(db.delete(AuditEntry))
    db.session.rollback()
    assert [e.action for e in audit_entries()] == ["message.hide"]


def test_the_database_refuses_raw_sql_too(entry):
    for statement in ("UPDATE audit_entries SET action = 'x'", "DELETE FROM audit_entries"):
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert [e.action for e in audit_entries()] == ["message.hide"]


def test_the_panel_is_read_only(operator_client, entry):
    assert operator_client.get("/admin/audit/").status_code == 200
    assert operator_client.get(f"/admin/audit/details/?id={entry.id}").status_code == 200
    for path in (f"/admin/audit/edit/?id={entry.id}", "/admin/audit/new/"):
        assert operator_client.get(path).status_code == 302
        operator_client.post(path, data={"action": "forged", "actor_name": "someone"})
    operator_client.post("/admin/audit/delete/", data={"id": str(entry.id)})
    operator_client.post("/admin/audit/action/", data={"action": "delete", "rowid": [str(entry.id)]})
    operator_client.post("/admin/audit/ajax/update/", data={"list_form_pk": str(entry.id), "action": "x"})
    assert [(e.id, e.action) for e in audit_entries()] == [(entry.id, "message.hide")]


def test_the_panel_filters(operator_client, entry, operator, alice, bob):
    from actions.user_admin import set_user_role

    set_user_role(operator, alice.id, "admin")
    page = operator_client.get("/admin/audit/?flt0_action_contains=user.").get_data(as_text=True)
    assert "user.promote" in page and "message.hide" not in page
    page = operator_client.get(f"/admin/audit/?flt0_target_id_equals={entry.target_id}&flt1_target_type_equals=message"
                               ).get_data(as_text=True)
    assert "message.hide" in page and "user.promote" not in page


def test_an_id_whose_row_is_gone_is_shown_once(operator, operator_client, world):
    """A report's message purged with its group: the log says "message #id", not "message #id #id"."""
    message_id = world.message.id
    resolve_report(operator, world.report.id, "dismissed")
    delete_group(operator, world.group.id)
    run_queued_jobs()
    page = operator_client.get("/admin/audit/").get_data(as_text=True)
    assert f"message #{message_id}" in page and f"message #{message_id} <small" not in page


def test_the_log_names_its_entries_rows_in_a_few_queries_not_a_few_per_entry(operator, operator_client, alice, bob):
    """Each entry names its operator, its target and the ids in before/after: the page loads them
    together, so its statement count does not grow with the number of entries."""
    def page_statements(entries: int) -> list[str]:
        page, seen = page_and_statements(operator_client, "/admin/audit/")
        assert page.count(">message #") == entries and page.count(' in Group ') == entries
        return seen

    hide_message(operator, message_in_a_new_group(alice, bob, 0).id)
    few = page_statements(1)
    for number in range(1, 6):
        hide_message(operator, message_in_a_new_group(alice, bob, number).id)
    many = page_statements(6)
    assert len(many) == len(few), "\n".join(many)


def test_a_found_message_in_before_or_after_is_named_with_its_id_once(operator, operator_client, world, carol):
    """A report's message: "message #id in General", whose words already hold the id; a user's name gets it after."""
    message_id = world.message.id
    resolve_report(operator, world.report.id, "dismissed")
    remove_group_member(operator, world.group.id, carol.id)
    page = operator_client.get("/admin/audit/").get_data(as_text=True)
    assert f'>message #{message_id} in General</a>' in page
    assert f"message #{message_id} in General</a> <small" not in page
    assert f">carol</a> <small class='text-muted'>#{carol.id}</small>" in page


def test_a_form_saved_unchanged_records_nothing(operator, operator_client, alice, bob, socket_client_for):
    """Saving an account's or a group's form as it was changed nothing: no entry, and nobody is told."""
    from tests.admin.conftest import reload
    from tests.helpers import events

    group = make_group(alice, "General", members=[bob])
    group_description = reload(group).description or ""
    socket = socket_client_for("alice")
    events(socket)
    response = operator_client.post(f"/admin/user/edit/?id={bob.id}", data={
        "username": bob.username, "display_name": bob.display_name, "email": bob.email or "", "phone": bob.phone or ""})
    assert response.status_code == 302
    response = operator_client.post(f"/admin/group/edit/?id={group.id}",
                                    data={"name": "General", "description": group_description})
    assert response.status_code == 302
    assert audit_entries() == [] and events(socket) == []
    # A real change is still recorded.
    operator_client.post(f"/admin/user/edit/?id={bob.id}", data={"username": bob.username, "display_name": "Bobby"})
    [entry] = audit_entries()
    assert (entry.action, entry.before["display_name"], entry.after["display_name"]) == ("user.edit", "Bob", "Bobby")
