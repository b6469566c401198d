"""Files panel and actions.file_admin: delete removes the object from storage, the message shows
"file removed" live, and the audit log records it."""
from io import BytesIO

import pytest

from actions.files import upload_attachment
from actions.messages import send_message
from models import Attachment
from storage import get_storage
from tests.admin.conftest import audit_entries, reload
from tests.factories import make_group
from tests.helpers import events, run_queued_jobs


@pytest.fixture
def shared(alice, bob):
    group = make_group(alice, members=[bob])
    attachment = upload_attachment(alice, group.id, "minutes.txt", "text/plain", BytesIO(b"meeting minutes\n" * 8))
    message = send_message(alice, group.id, "the minutes", attachment_id=attachment.id).message
    return group, attachment, message


def test_list_shows_owner_conversation_size_and_type(operator_client, shared):
    group, attachment, _ = shared
    page = operator_client.get("/admin/attachment/").get_data(as_text=True)
    assert "minutes.txt" in page and "alice" in page and "text/plain" in page and "128 B" in page
    assert f"flt0_conversation_equals={group.id}" in page
    assert "minutes.txt" not in operator_client.get("/admin/attachment/?flt0_owner_contains=bob").get_data(
        as_text=True)


def test_delete_removes_the_object_and_tells_members(operator, operator_client, shared, socket_client_for):
    group, attachment, message = shared
    socket = socket_client_for("bob")
    events(socket)
    assert get_storage().head(attachment.storage_key) is not None

    response = operator_client.post("/admin/attachment/delete/", data={"id": str(attachment.id)})
    assert response.status_code == 302

    assert reload(attachment).status == "deleted"
    assert get_storage().head(attachment.storage_key) is None
    [update] = [payload["message"] for name, payload in events(socket) if name == "message:updated"]
    assert (update["id"], update["attachment"]["status"]) == (message.id, "deleted")
    [entry] = audit_entries("file.delete")
    assert (entry.target_type, entry.target_id, entry.before["status"], entry.after["status"]) == (
        "attachment", attachment.id, "ready", "deleted")
    assert entry.before["filename"] == "minutes.txt" and entry.actor_id == operator.id


def test_deleting_a_group_removes_its_files_from_storage(operator, operator_client, shared):
    group, attachment, _ = shared
    key = attachment.storage_key
    operator_client.post("/admin/group/delete/", data={"id": str(group.id)})
    assert get_storage().head(key) is not None  # the job removes it, after the request
    run_queued_jobs()
    assert get_storage().head(key) is None
    assert Attachment.query.count() == 0
    assert [entry.action for entry in audit_entries()] == ["group.delete"]  # its files go with it
