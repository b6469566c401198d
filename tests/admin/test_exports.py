"""Exports: users, a conversation's messages, the audit log; CSV and JSON; never a password hash."""
import csv
import io

import pytest

from actions.exports import to_csv
from actions.messages import send_message
from actions.moderation import hide_message
from tests.admin.conftest import audit_entries
from tests.factories import make_group


def download(client, path: str, **form):
    response = client.post(path, data=form)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    return response


def rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_users_as_csv_and_json_without_secrets(operator, operator_client, alice, bob):
    as_csv = download(operator_client, "/admin/export/users.csv")
    as_json = download(operator_client, "/admin/export/users.json")
    assert [row["username"] for row in rows(as_csv)] == ["operator", "alice", "bob"]
    assert [user["username"] for user in as_json.json] == ["operator", "alice", "bob"]
    for response in (as_csv, as_json):
        text = response.get_data(as_text=True)
        assert "password" not in text.replace("must_change_password", "") and alice.password_hash not in text
    assert as_json.json[1]["active"] is True and as_json.json[1]["created_at"].endswith("Z")
    assert [(e.action, e.after) for e in audit_entries()] == [
        ("export.users", {"format": "csv", "rows": 3}), ("export.users", {"format": "json", "rows": 3})]


def test_messages_of_one_conversation(operator, operator_client, alice, bob):
    group = make_group(alice, members=[bob])
    other = make_group(bob, "Other")
    send_message(alice, group.id, "hello")
    hidden = send_message(bob, group.id, "=HYPERLINK(\"http://evil\")").message
    send_message(bob, other.id, "elsewhere")
    hide_message(operator, hidden.id)
    exported = rows(download(operator_client, "/admin/export/messages.csv", conversation_id=str(group.id)))
    assert [(row["seq"], row["sender"], row["body"]) for row in exported] == [
        ("1", "alice", "hello"), ("2", "bob", "'=HYPERLINK(\"http://evil\")")]  # no formula runs in a spreadsheet
    assert exported[1]["hidden_at"] != "" and exported[0]["hidden_at"] == ""
    as_json = download(operator_client, "/admin/export/messages.json", conversation_id=str(group.id)).json
    assert [message["body"] for message in as_json] == ["hello", "=HYPERLINK(\"http://evil\")"]
    assert audit_entries("export.messages")[0].target_id == group.id


def test_audit_log(operator, operator_client, alice, bob):
    group = make_group(alice, members=[bob])
    hide_message(operator, send_message(bob, group.id, "x").message.id)
    exported = download(operator_client, "/admin/export/audit-log.json").json
    assert [entry["action"] for entry in exported] == ["message.hide"]
    assert exported[0]["before"]["hidden"] is False and exported[0]["actor_name"] == "operator"


@pytest.mark.parametrize("path", ["/admin/export/users.xml", "/admin/export/messages.csv"])
def test_bad_requests_export_nothing(operator_client, path):
    response = operator_client.post(path, data={"conversation_id": "999"})
    assert response.status_code == 302 and audit_entries() == []


def test_to_csv_neutralizes_formulas_and_flattens_json():
    text = to_csv(["a", "b"], [{"a": "+1", "b": {"x": 1}}, {"a": "@cmd", "b": None}])
    assert text.splitlines() == ["a,b", "'+1,\"{\"\"x\"\": 1}\"", "'@cmd,"]


def test_a_large_export_is_sent_page_by_page_each_row_once_in_order(operator, operator_client, alice, monkeypatch):
    """Read and sent PAGE_ROWS at a time (here 2), never whole: a conversation of a million messages is not held
    in memory, nor read in one statement that holds up the worker (each page is a long read)."""
    from actions import exports
    from tests.test_long_reads import long_reads_seen

    monkeypatch.setattr(exports, "PAGE_ROWS", 2)
    group = make_group(alice)
    for number in range(5):
        send_message(alice, group.id, f"message {number}")
    with long_reads_seen() as seen:
        as_csv = download(operator_client, "/admin/export/messages.csv", conversation_id=str(group.id))
    assert [row["body"] for row in rows(as_csv)] == [f"message {number}" for number in range(5)]
    pages = [marked for statement, marked in seen if statement.startswith("SELECT messages.id")]
    assert pages == [True] * 3  # 2 + 2 + 1, each a long read
    as_json = download(operator_client, "/admin/export/messages.json", conversation_id=str(group.id)).json
    assert [message["seq"] for message in as_json] == [1, 2, 3, 4, 5]
    assert [e.after for e in audit_entries("export.messages")] == [{"format": "csv", "rows": 5},
                                                                  {"format": "json", "rows": 5}]


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_an_empty_export_is_a_file_with_nothing_in_it(operator_client, alice, file_format):
    group = make_group(alice)
    response = download(operator_client, f"/admin/export/messages.{file_format}", conversation_id=str(group.id))
    assert (response.json == []) if file_format == "json" else (rows(response) == [])
