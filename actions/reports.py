"""Reports: members flag messages; operators work through the queue and settle each report."""
from __future__ import annotations

from sqlalchemy import func

from actions.access import access_conversation, access_operator, get_message, hold_message
from actions.audit import record
from actions.errors import Conflict, Forbidden, InvalidInput, NotFound
from actions.moderation import MAX_SWEEP_HOURS, hide_held_sweep_unchecked, hide_message, hold_sweep
from actions.stored_objects import remove_file_of_deleted_message_unchecked
from actions.user_admin import deactivate_user
from actions.validation import check_choice, check_int, check_string
from events import atomic
from extensions import db
from models import Report, User
from models.report import REASONS, RESOLUTIONS
from models.time import utcnow

DEFAULT_SWEEP_HOURS = 24


@atomic()
def report_message(reporter: User, message_id: int, reason: object, text: object = None) -> Report:
    """A member reports a message they can read: spam, abuse or other, with an optional note (text; None or
    "" for none, anything but text 400 `invalid_text`)."""
    reason = check_choice(reason, "reason", REASONS)
    text = check_string(text, "text", max_length=1000, required=False, multiline=True)
    message = get_message(message_id)
    # Whoever cannot read the conversation learns nothing about the message, not even that it exists.
    access_conversation(reporter, message.conversation_id)
    # Held: its author's deletion meanwhile waits for the report, which then keeps its file as evidence,
    # or is seen here (message_removed), not deleted under a report that would find its file gone.
    message = hold_message(message.id)
    if message.sender_id is None:
        raise InvalidInput("cannot_report_system_message", "Service notices cannot be reported.")
    if message.sender_id == reporter.id:
        raise InvalidInput("cannot_report_own_message", "You cannot report your own message.")
    if message.is_removed:
        raise Conflict("message_removed", "This message was removed already.")
    if db.session.execute(db.select(Report.id).where(Report.message_id == message.id,
                                                     Report.reporter_id == reporter.id)).first():
        raise Conflict("already_reported", "You have reported this message already.")
    report = Report(message_id=message.id, reporter_id=reporter.id, reason=reason, text=text)
    db.session.add(report)
    db.session.flush()
    return report


def get_report(report_id: int) -> Report:
    """Any report (NotFound otherwise); decides nothing: the back office is operators' only."""
    report = db.session.get(Report, report_id)
    if report is None:
        raise NotFound("report_not_found", "No such report.")
    return report


def open_report_count() -> int:
    return db.session.execute(db.select(func.count(Report.id)).where(Report.is_open)).scalar_one()


@atomic()
def resolve_report(operator: User, report_id: int, resolution: object, hours: object = None) -> Report:
    """Settle a report in one step: hide the message, hide the sender's recent messages,
    deactivate the sender, or dismiss. Other open reports of the same message settle with it."""
    operator = access_operator(operator)
    resolution = check_choice(resolution, "resolution", RESOLUTIONS)
    report = get_report(report_id)
    sweep = None
    if resolution == "sender_messages_hidden":
        hours = check_int(hours if hours not in (None, "") else DEFAULT_SWEEP_HOURS, "hours", minimum=1,
                          maximum=MAX_SWEEP_HOURS)
        sender_id = report.message.sender_id
        if sender_id is not None:  # the sweep's messages held first, the reported one with them (no cycle)
            sweep = hold_sweep(sender_id, hours, also=report.message_id)
    # The message held first, then the report read again: another settlement of it, or its author's
    # deletion, meanwhile waits for this one or is seen here.
    message = hold_message(report.message_id)
    db.session.refresh(report)
    if not report.is_open:
        raise Conflict("report_resolved", "This report was resolved already.")
    if resolution in ("sender_messages_hidden", "sender_deactivated") and message.sender_id in (None, operator.id):
        raise Forbidden("cannot_act_on_sender", "This report's sender cannot be acted on from here.")
    reports = [report, *_other_open_reports(report)]
    for settled in reports:
        settled.status, settled.resolution = "resolved", resolution
        settled.resolved_by_id, settled.resolved_at = operator.id, utcnow()
        record(operator, "report.resolve", "report", settled.id, {"status": "open"},
               {"status": "resolved", "resolution": resolution, "message_id": message.id,
                **({"hours": hours} if resolution == "sender_messages_hidden" else {})})
    # The moderation step joins this unit of work: the resolution and its change land together, or neither.
    if resolution == "message_hidden":
        hide_message(operator, message.id)
    elif resolution == "sender_messages_hidden":
        # The sweep held above (a message without a sender was refused): the reported message too, even when it
        # is older than the sweep.
        hide_held_sweep_unchecked(operator, sweep)
    elif resolution == "sender_deactivated":
        deactivate_user(operator, message.sender_id)
    if message.deleted_at is not None and message.attachment_id is not None:
        # Its author deleted it while the reports were open: their evidence, its file, now goes.
        remove_file_of_deleted_message_unchecked(message.id, message.attachment_id)
    return report


def _other_open_reports(report: Report) -> list[Report]:
    return list(db.session.execute(
        db.select(Report).where(Report.message_id == report.message_id, Report.is_open,
                                Report.id != report.id)
    ).scalars())
