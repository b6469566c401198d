"""Reports: members report over the socket and REST; operators settle them in one click."""
import io

import pytest

from actions.accounts import issue_api_token
from actions.errors import Conflict
from actions.files import upload_attachment
from actions.groups import add_member
from actions.messages import delete_message, send_message
from actions.moderation import hide_message
from actions.reports import report_message, resolve_report
from models import Report
from storage import get_storage
from tests.admin.conftest import audit_entries, reload
from tests.files.samples import PDF_BYTES
from tests.helpers import bearer, database_rows


def test_report_over_the_socket(group, alice, bob, socket_client_for):
    message = send_message(bob, group.id, "spam spam").message
    socket = socket_client_for("alice")
    ack = socket.emit("message:report", {"message_id": message.id, "reason": "spam", "text": "ads"}, callback=True)
    assert ack["ok"] and ack["report"]["message_id"] == message.id and ack["report"]["status"] == "open"
    report = reload(Report.query.one())
    assert (report.reporter_id, report.reason, report.text) == (alice.id, "spam", "ads")

    again = socket.emit("message:report", {"message_id": message.id, "reason": "abuse"}, callback=True)
    assert again == {"ok": False, "error": {"code": "already_reported",
                                            "message": "You have reported this message already."}}
    bad = socket.emit("message:report", {"message_id": message.id, "reason": "boring"}, callback=True)
    assert bad["error"]["code"] == "invalid_reason"


def test_report_over_rest(app, group, alice, bob, carol):
    message = send_message(bob, group.id, "rude").message
    client = app.test_client()
    headers = {"Authorization": f"Bearer {issue_api_token(alice).token}"}
    response = client.post(f"/api/messages/{message.id}/report", json={"reason": "abuse", "text": "insult"},
                           headers=headers)
    assert response.status_code == 201 and response.json["report"]["reason"] == "abuse"
    own = client.post(f"/api/messages/{message.id}/report", json={"reason": "spam"},
                      headers={"Authorization": f"Bearer {issue_api_token(bob).token}"})
    assert (own.status_code, own.json["error"]["code"]) == (400, "cannot_report_own_message")
    missing = client.post("/api/messages/999/report", json={"reason": "spam"}, headers=headers)
    assert (missing.status_code, missing.json["error"]["code"]) == (404, "message_not_found")


@pytest.mark.parametrize("extra", [{"txt": "ads"}, {"message_id": 1}])
def test_a_field_the_report_does_not_take_is_refused(app, group, alice, bob, extra):
    """docs/protocol.md, Input: a REST report with another field (a typo such as `txt` for `text`) was
    filed without it; it is 400 invalid_field now and no report is filed."""
    message = send_message(bob, group.id, "rude").message
    headers = {"Authorization": f"Bearer {issue_api_token(alice).token}"}
    before = database_rows()
    response = app.test_client().post(f"/api/messages/{message.id}/report", json={"reason": "spam", **extra},
                                      headers=headers)
    assert (response.status_code, response.json["error"]["code"]) == (400, "invalid_field")
    assert database_rows() == before


@pytest.mark.parametrize("text", [False, 0, [], {}, 5])
def test_a_note_that_is_not_text_is_refused(app, group, alice, bob, socket_client_for, text):
    """docs/protocol.md Input: a field of the wrong type is 400 `invalid_<field>`, a falsy one too (REST
    and the socket read `text` the same way)."""
    message = send_message(bob, group.id, "rude").message
    headers = {"Authorization": f"Bearer {issue_api_token(alice).token}"}
    response = app.test_client().post(f"/api/messages/{message.id}/report", json={"reason": "spam", "text": text},
                                      headers=headers)
    assert (response.status_code, response.json["error"]["code"]) == (400, "invalid_text")
    ack = socket_client_for("alice").emit("message:report", {"message_id": message.id, "reason": "spam",
                                                             "text": text}, callback=True)
    assert ack["error"]["code"] == "invalid_text"
    assert database_rows()["reports"] == []


@pytest.mark.parametrize("text", [None, ""])
def test_no_note_is_an_empty_one(app, group, alice, bob, text):
    message = send_message(bob, group.id, "rude").message
    headers = {"Authorization": f"Bearer {issue_api_token(alice).token}"}
    response = app.test_client().post(f"/api/messages/{message.id}/report", json={"reason": "spam", "text": text},
                                      headers=headers)
    assert response.status_code == 201 and response.json["report"]["text"] == ""


def test_only_readers_of_the_conversation_can_report(app, group, bob, operator):
    outsider_message = send_message(bob, group.id, "members only").message
    headers = {"Authorization": f"Bearer {issue_api_token(operator).token}"}
    before = database_rows()
    response = app.test_client().post(f"/api/messages/{outsider_message.id}/report", json={"reason": "spam"},
                                      headers=headers)
    assert (response.status_code, response.json["error"]["code"]) == (403, "not_a_member")
    assert database_rows() == before


@pytest.fixture
def reported(group, alice, bob, carol):
    add_member(alice, group.id, carol.id)  # a second member to report the same message
    earlier = send_message(bob, group.id, "first spam").message
    message = send_message(bob, group.id, "second spam").message
    mine = send_message(alice, group.id, "a reply").message
    first = report_message(alice, message.id, "spam")
    second = report_message(carol, message.id, "abuse", "twice")
    return {"earlier": earlier, "message": message, "mine": mine, "first": first, "second": second}


def test_review_page_shows_message_context_reporter_and_reason(operator_client, group, alice, bob, reported):
    for n in range(12):
        send_message(alice, group.id, f"later {n}")
    page = operator_client.get(f"/admin/report/review/?id={reported['first'].id}").get_data(as_text=True)
    assert "second spam" in page and "first spam" in page and "Reported by <strong>alice</strong>" in page
    # 10 around: the one message before it, and the 5 after it ("a reply", later 0 to 3).
    assert "a reply" in page and "later 3" in page and "later 4" not in page


def test_hide_the_message(operator, operator_client, reported):
    response = operator_client.post(f"/admin/report/review/{reported['first'].id}/message_hidden")
    assert response.status_code == 302
    assert reload(reported["message"]).hidden_at is not None
    first, second = reload(reported["first"]), reload(reported["second"])
    # Both reports of the message settle together, and keep who settled them and how.
    for report in (first, second):
        assert (report.status, report.resolution, report.resolved_by_id) == ("resolved", "message_hidden", operator.id)
        assert report.resolved_at is not None
    assert sorted(e.target_id for e in audit_entries("report.resolve")) == sorted([first.id, second.id])
    assert len(audit_entries("message.hide")) == 1


def test_hide_the_senders_recent_messages(operator_client, reported):
    operator_client.post(f"/admin/report/review/{reported['first'].id}/sender_messages_hidden", data={"hours": "2"})
    assert reload(reported["earlier"]).hidden_at is not None and reload(reported["message"]).hidden_at is not None
    assert reload(reported["mine"]).hidden_at is None
    assert reload(reported["first"]).resolution == "sender_messages_hidden"
    assert audit_entries("report.resolve")[0].after["hours"] == 2


def test_deactivate_the_sender(operator_client, reported, bob):
    operator_client.post(f"/admin/report/review/{reported['first'].id}/sender_deactivated")
    assert not reload(bob).active
    assert reload(reported["message"]).hidden_at is None
    assert reload(reported["first"]).resolution == "sender_deactivated"
    assert [e.action for e in audit_entries()][-1] == "user.deactivate"


def test_dismiss(operator, operator_client, reported):
    operator_client.post(f"/admin/report/review/{reported['first'].id}/dismissed")
    assert reload(reported["first"]).resolution == "dismissed"
    assert reload(reported["message"]).hidden_at is None
    with pytest.raises(Conflict):
        resolve_report(operator, reported["first"].id, "message_hidden")


def test_unknown_resolution_changes_nothing(operator_client, reported):
    before = database_rows()
    operator_client.post(f"/admin/report/review/{reported['first'].id}/delete_everything")
    assert database_rows() == before


def test_queue_lists_open_reports_first(operator, operator_client, reported, group, alice, carol):
    other = report_message(carol, reported["mine"].id, "other", "hm")
    resolve_report(operator, reported["first"].id, "dismissed")
    page = operator_client.get("/admin/report/").get_data(as_text=True)
    assert page.index("a reply") < page.index("second spam")
    assert reload(other).status == "open"


def test_a_reported_file_outlives_its_authors_deletion_for_the_operators_until_the_report_is_settled(
        app, client, operator, operator_client, group, alice, bob, carol):
    """Slack Enterprise and Mattermost keep reported content for trust & safety until the report is dealt
    with: the author's deletion hides the file from the members at once, but the operator reviewing the
    report still opens it; once the report is settled, it leaves storage as any deleted message's file."""
    add_member(alice, group.id, carol.id)
    attachment = upload_attachment(bob, group.id, "proof.pdf", None, io.BytesIO(PDF_BYTES))
    message = send_message(bob, group.id, "look", attachment_id=attachment.id).message
    report = report_message(alice, message.id, "abuse")
    delete_message(bob, message.id)
    for member in (alice, bob, carol):  # the members see it deleted, file and all
        answer = client.get(f"/files/{attachment.id}", headers=bearer(member))
        assert (answer.status_code, answer.get_json()["error"]["code"]) == (410, "file_removed")
        page = client.get(f"/api/conversations/{group.id}/messages", headers=bearer(member)).get_json()
        (shown,) = [one for one in page["messages"] if one["id"] == message.id]
        assert (shown["body"], shown["attachment"], shown["removed_by"]) == ("", None, "author")
    assert reload(attachment).status == "ready" and get_storage().head(attachment.storage_key) is not None

    review = operator_client.get(f"/admin/report/review/?id={report.id}").get_data(as_text=True)
    assert "look" in review and f'href="/files/{attachment.id}?download=1"' in review
    opened = operator_client.get(f"/files/{attachment.id}?download=1")
    assert opened.status_code == 302  # to the file itself
    assert client.get(f"/files/{attachment.id}", headers=bearer(operator)).status_code == 302

    operator_client.post(f"/admin/report/review/{report.id}/dismissed")
    assert reload(report).status == "resolved"
    assert reload(attachment).status == "deleted" and get_storage().head(attachment.storage_key) is None
    answer = operator_client.get(f"/files/{attachment.id}")
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (410, "file_removed")
    review = operator_client.get(f"/admin/report/review/?id={report.id}").get_data(as_text=True)
    assert f'href="/files/{attachment.id}' not in review and "<del" in review


def test_a_file_whose_reports_are_all_settled_leaves_with_its_message(app, client, operator, group, alice, bob):
    """Only an open report keeps the file: one settled before the deletion does not."""
    attachment = upload_attachment(bob, group.id, "proof.pdf", None, io.BytesIO(PDF_BYTES))
    message = send_message(bob, group.id, "look", attachment_id=attachment.id).message
    report = report_message(alice, message.id, "spam")
    resolve_report(operator, report.id, "dismissed")
    delete_message(bob, message.id)
    assert reload(attachment).status == "deleted" and get_storage().head(attachment.storage_key) is None
    answer = client.get(f"/files/{attachment.id}", headers=bearer(operator))
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (410, "file_removed")


@pytest.mark.parametrize("resolution", ["message_hidden", "sender_messages_hidden", "sender_deactivated"])
def test_every_settlement_removes_the_kept_file(operator, group, alice, bob, resolution):
    attachment = upload_attachment(bob, group.id, "proof.pdf", None, io.BytesIO(PDF_BYTES))
    message = send_message(bob, group.id, "look", attachment_id=attachment.id).message
    report = report_message(alice, message.id, "abuse")
    delete_message(bob, message.id)
    assert reload(attachment).status == "ready"
    resolve_report(operator, report.id, resolution)
    assert reload(attachment).status == "deleted" and get_storage().head(attachment.storage_key) is None
    assert reload(message).hidden_at is None  # its author deleted it: it stays "deleted by its author"


def test_settling_a_report_that_is_gone_says_so_once(operator_client, reported):
    """A report gone meanwhile (its group deleted with its messages): the queue, "No such report." once;
    before, the settlement flashed it and sent to the review page, which flashed it again."""
    answer = operator_client.post("/admin/report/review/99999/dismissed", follow_redirects=True)
    page = answer.get_data(as_text=True)
    flashed = page.split('<template class="flash-messages">')[1].split("</template>")[0]  # and its <noscript> copy
    assert answer.request.path == "/admin/report/" and flashed.count("No such report.") == 1
    answer = operator_client.post(f"/admin/report/review/{reported['first'].id}/dismissed")
    assert answer.headers["Location"].endswith(f"/admin/report/review/?id={reported['first'].id}")


def test_the_review_links_a_hidden_messages_file_while_its_report_is_open(app, client, operator, operator_client,
                                                                         group, alice, bob):
    """A message hidden from the Messages panel while its report waits: the operator still opens its file
    from the review; once the report is settled (hidden), the file is the members' 410 for operators too,
    and the review names it without a link that would answer 410."""
    attachment = upload_attachment(bob, group.id, "proof.pdf", None, io.BytesIO(PDF_BYTES))
    message = send_message(bob, group.id, "look", attachment_id=attachment.id).message
    report = report_message(alice, message.id, "abuse")
    hide_message(operator, message.id)
    assert client.get(f"/files/{attachment.id}", headers=bearer(alice)).status_code == 410
    assert client.get(f"/files/{attachment.id}", headers=bearer(operator)).status_code == 302
    review = operator_client.get(f"/admin/report/review/?id={report.id}").get_data(as_text=True)
    assert f'href="/files/{attachment.id}?download=1"' in review
    resolve_report(operator, report.id, "message_hidden")
    assert reload(attachment).status == "ready"  # hidden, not deleted: unhiding brings it back
    assert client.get(f"/files/{attachment.id}", headers=bearer(operator)).status_code == 410
    review = operator_client.get(f"/admin/report/review/?id={report.id}").get_data(as_text=True)
    assert f'href="/files/{attachment.id}' not in review and "proof.pdf" in review


@pytest.mark.parametrize("text", [{"text": None}, {}])
def test_a_report_without_text_answers_text_as_protocol_md_says(app, group, alice, bob, text):
    """docs/protocol.md's report row: `text` null or absent is none, and the answer's `text` is then "" (a
    client written from the doc was told nothing of it and looked for null)."""
    from tests.test_protocol_doc import PROTOCOL
    row = next(line for line in PROTOCOL.splitlines() if line.startswith("| `POST /api/messages/<id>/report` |"))
    assert '(`text` `""` when none was given, `status` `"open"`)' in row
    message = send_message(bob, group.id, "rude").message
    response = app.test_client().post(f"/api/messages/{message.id}/report", json={"reason": "spam", **text},
                                      headers={"Authorization": f"Bearer {issue_api_token(alice).token}"})
    assert response.status_code == 201
    assert set(response.json["report"]) == {"id", "message_id", "reason", "text", "status", "created_at"}
    assert (response.json["report"]["text"], response.json["report"]["status"]) == ("", "open")
