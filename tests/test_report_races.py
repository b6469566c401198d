"""A reported message's file, kept as the report's evidence when its author deletes the message
(actions.stored_objects.has_open_report), on SQLite and on PostgreSQL, when the deletion comes at the
same moment as a report of the message or as its settlement. The report and the settlement hold the
message (actions.access.hold_message) as the deletion does, so whichever comes second sees the first:
a report after the deletion is refused `message_removed` (the file went with the message), a deletion
after a report keeps the file, and a settlement removes the file kept by a deletion before it. Before,
a report made side by side with the deletion was stored with the file already gone, and a settlement
made side by side left the file kept for good, with no open report to remove it. Two settlements of one
report at once (two operators) settle it once, for the same reason.

The first read of the message by each request waits at a barrier for the other's, as in
tests/test_message_change_races.py: reads made side by side both pass it and the deletion goes first;
a read that waits for the other's lock times the barrier out, and the first one goes on."""
from __future__ import annotations

import io
import threading

import pytest

from actions.errors import Conflict
from actions.files import upload_attachment
from actions.messages import delete_message, send_message
from actions.reports import report_message, resolve_report
from extensions import db
from models import Attachment, AuditEntry, Message, Report, User
from tests import helpers
from tests.database_apps import ENGINES, engine_app
from tests.factories import make_group, make_user
from tests.files.samples import PDF_BYTES
from tests.helpers import BARRIER_SECONDS, run_at_once
from tests.query_count import statements


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        yield app


def deletion_first(app, delete, other) -> dict[str, object]:
    """tests.helpers.deletion_first: what each one returned, as repr, or its error."""
    return helpers.deletion_first(app, delete, other, repr)


def as_user(user_id: int) -> User:
    return db.session.get(User, user_id)


@pytest.fixture
def sent_file(app):
    alice, bob = make_user("alice"), make_user("bob")
    group = make_group(alice, members=[bob])
    attachment = upload_attachment(bob, group.id, "proof.pdf", None, io.BytesIO(PDF_BYTES))
    message = send_message(bob, group.id, "look", attachment_id=attachment.id).message
    return {"alice": alice.id, "bob": bob.id, "message": message.id, "attachment": attachment.id}


def status_now(attachment_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Attachment, attachment_id).status


def test_a_report_made_as_the_author_deletes_the_message_keeps_its_file_or_is_refused(app, sent_file):
    outcomes = deletion_first(
        app, lambda: delete_message(as_user(sent_file["bob"]), sent_file["message"]),
        lambda: report_message(as_user(sent_file["alice"]), sent_file["message"], "abuse"))

    assert not isinstance(outcomes["delete"], BaseException), outcomes
    reports = db.session.execute(db.select(Report)).scalars().all()
    if isinstance(outcomes["other"], Conflict):  # the report came second: the message was removed already
        assert outcomes["other"].code == "message_removed" and reports == []
        assert status_now(sent_file["attachment"]) == "deleted"
    else:  # the report came first: the deletion kept the file for it
        assert [report.status for report in reports] == ["open"], outcomes
        assert status_now(sent_file["attachment"]) == "ready"


def test_a_settlement_made_as_the_author_deletes_the_message_removes_its_file(app, sent_file):
    report_id = report_message(db.session.get(User, sent_file["alice"]), sent_file["message"], "abuse").id
    operator_id = make_user("olga", role="admin").id

    outcomes = deletion_first(
        app, lambda: delete_message(as_user(sent_file["bob"]), sent_file["message"]),
        lambda: resolve_report(as_user(operator_id), report_id, "dismissed"))

    assert not any(isinstance(outcome, BaseException) for outcome in outcomes.values()), outcomes
    # Deleted, and no report open any more: nothing keeps the file, whichever went first.
    assert status_now(sent_file["attachment"]) == "deleted"


def test_a_report_settled_by_two_operators_at_once_is_settled_once(app, sent_file):
    """Two operators click at the same moment: one settles it, the other is told `report_resolved`.
    Before, both read it open: two settlements, two audit entries, the second's resolution the one kept."""
    report_id = report_message(db.session.get(User, sent_file["alice"]), sent_file["message"], "abuse").id
    first, second = make_user("olga", role="admin").id, make_user("oscar", role="admin").id

    outcomes = deletion_first(app, lambda: resolve_report(as_user(first), report_id, "dismissed"),
                              lambda: resolve_report(as_user(second), report_id, "message_hidden"))

    refused = [outcome for outcome in outcomes.values() if isinstance(outcome, Conflict)]
    assert [error.code for error in refused] == ["report_resolved"], outcomes
    db.session.expire_all()
    settled = db.session.execute(db.select(AuditEntry).where(AuditEntry.action == "report.resolve")).scalars().all()
    assert len(settled) == 1 and settled[0].after["resolution"] == db.session.get(Report, report_id).resolution


def test_two_sweeps_of_one_sender_settled_at_once_do_not_deadlock(app, sent_file):
    """Two operators each settle a report of a different message of the same sender by hiding the sender's
    recent messages. Each settlement holds its reported message, then the sweep holds the sender's messages
    in id order: the reported messages must be held in that order too, or each waits for the other's
    (PostgreSQL ends the cycle by cancelling one: deadlock detected)."""
    alice, bob = as_user(sent_file["alice"]), as_user(sent_file["bob"])
    group_id = db.session.get(Attachment, sent_file["attachment"]).conversation_id
    later = send_message(bob, group_id, "more spam").message.id
    first = report_message(alice, sent_file["message"], "spam").id
    second = report_message(alice, later, "spam").id
    olga, oscar = make_user("olga", role="admin").id, make_user("oscar", role="admin").id

    outcomes = deletion_first(app, lambda: resolve_report(as_user(olga), second, "sender_messages_hidden"),
                              lambda: resolve_report(as_user(oscar), first, "sender_messages_hidden"))

    assert not any(isinstance(outcome, BaseException) for outcome in outcomes.values()), outcomes


def test_two_sweeps_of_two_senders_through_the_same_groups_settled_at_once_do_not_deadlock(app):
    """Two spammers who posted in the same two groups, in turn, each swept by an operator settling a report of
    theirs at the same moment. A sweep takes the revision of each message's conversation (the row of the
    conversation, held until COMMIT) as it hides the message: in the order of the messages' ids, the first
    sweep held group 1 and waited for group 2, the second held group 2 and waited for group 1 (PostgreSQL
    cancelled one: deadlock detected). Each sweep's first conversation waits here for the other's."""
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    first_group = make_group(alice, "One", members=[bob, carol])
    second_group = make_group(alice, "Two", members=[bob, carol])
    bobs = send_message(bob, first_group.id, "spam 1").message.id
    carols = send_message(carol, second_group.id, "spam 2").message.id
    send_message(carol, first_group.id, "spam 3")
    send_message(bob, second_group.id, "spam 4")
    of_bob, of_carol = report_message(alice, bobs, "spam").id, report_message(alice, carols, "spam").id
    olga, oscar = make_user("olga", role="admin").id, make_user("oscar", role="admin").id
    db.session.commit()
    barrier = threading.Barrier(2, timeout=BARRIER_SECONDS)
    revised = set()

    def after_execute(_connection, _cursor, statement, *_):
        name = threading.current_thread().name
        if name in ("olga", "oscar") and name not in revised and statement.startswith("UPDATE conversations"):
            revised.add(name)  # holds its first conversation: the other takes its own, or waits for this one
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                return

    outcomes = run_at_once(app, {
        "olga": lambda: repr(resolve_report(as_user(olga), of_bob, "sender_messages_hidden")),
        "oscar": lambda: repr(resolve_report(as_user(oscar), of_carol, "sender_messages_hidden"))}, after_execute)

    assert not any(isinstance(outcome, BaseException) for outcome in outcomes.values()), outcomes
    db.session.expire_all()
    assert db.session.execute(db.select(db.func.count(Message.id)).where(Message.hidden_at.is_(None),
                                                                         Message.sender_id.in_((bob.id, carol.id)))
                              ).scalar_one() == 0


def test_a_settlement_that_sweeps_holds_the_sweep_once_before_anything_else(app, sent_file):
    """resolve_report(…, "sender_messages_hidden") holds the sender's recent messages and the reported one, in
    id order, before its own read of the reported message (the order the two tests above need), and once: it
    held them a second time when its sweep ran (hide_recent_messages held them again, the same rows under the
    same locks, one more query over the sender's messages)."""
    alice, bob = as_user(sent_file["alice"]), as_user(sent_file["bob"])
    group_id = db.session.get(Attachment, sent_file["attachment"]).conversation_id
    later = send_message(bob, group_id, "more spam").message.id
    report_id = report_message(alice, sent_file["message"], "spam").id
    olga = make_user("olga", role="admin")
    db.session.commit()

    with statements() as seen:
        resolve_report(olga, report_id, "sender_messages_hidden")

    holds = [number for number, statement in enumerate(seen)
             if statement.startswith("SELECT messages.id, messages.conversation_id") and " AS swept" in statement]
    assert len(holds) == 1, [seen[number] for number in holds]
    if db.engine.dialect.name == "postgresql":  # SQLite: the write lock, one for every row
        held_alone = [number for number, statement in enumerate(seen) if statement.startswith("SELECT messages.")
                      and "WHERE messages.id =" in statement and statement.endswith("FOR NO KEY UPDATE")]
        assert held_alone and holds[0] < held_alone[0]
    db.session.expire_all()
    assert all(db.session.get(Message, message_id).hidden_at is not None
               for message_id in (sent_file["message"], later))
