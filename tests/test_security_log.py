"""actions/security_log.py: rows with the request's address and browser, refusals that outlive
their rolled-back request, and the retention job."""
from datetime import timedelta

from actions.security_log import prune_security_log, record_refusal, record_security_event
from extensions import db
from models import SecurityEvent
from models.time import utcnow


def rows() -> list[tuple]:
    return [(event.kind, event.user_id, event.username, event.address, event.user_agent, event.detail)
            for event in db.session.execute(db.select(SecurityEvent).order_by(SecurityEvent.id)).scalars()]


def test_an_event_joins_the_unit_with_the_request_address_and_user_agent(app, alice):
    with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.7"}, headers={"User-Agent": "Firefox/140"}):
        record_security_event("login", user=alice, detail="password")
        db.session.rollback()  # the change it described did not happen: neither did the row
        assert rows() == []
        record_security_event("login", user=alice, detail="password")
        db.session.commit()
    assert rows() == [("login", alice.id, "alice", "203.0.113.7", "Firefox/140", "password")]


def test_a_refusal_is_stored_even_when_the_request_rolls_back_and_typed_text_is_made_printable(app):
    with app.test_request_context(environ_base={"REMOTE_ADDR": "198.51.100.2"}):
        record_refusal("login_failed", username="mallory\x1b[31m\nroot\t" + "x" * 300)
        db.session.rollback()
    [(kind, user_id, username, address, _agent, _detail)] = rows()
    assert (kind, user_id, address) == ("login_failed", None, "198.51.100.2")
    assert username.startswith("mallory\N{REPLACEMENT CHARACTER}[31m root ") and len(username) == 254


def test_the_retention_job_forgets_old_rows_only(app, alice):
    app.config["SECURITY_LOG_DAYS"] = 30
    old = record_security_event("login", user=alice, address="192.0.2.1")
    old.created_at = utcnow() - timedelta(days=31)
    record_security_event("login_failed", username="alice", address="192.0.2.2")
    db.session.commit()
    assert prune_security_log() == 1
    assert [row[3] for row in rows()] == ["192.0.2.2"]
    app.config["SECURITY_LOG_DAYS"] = 0
    assert prune_security_log() == 0 and len(rows()) == 1


def test_the_consumer_prunes_the_log_every_hour(app, alice):
    from datetime import datetime

    from actions.security_log import prune_security_log_hourly
    from jobs.queue import job_queue

    task_class = job_queue().tasks[prune_security_log_hourly.name].task_class
    assert task_class().validate_datetime(datetime(2026, 1, 1, 13, 17))
    assert not task_class().validate_datetime(datetime(2026, 1, 1, 13, 0))
    app.config["SECURITY_LOG_DAYS"] = 1
    record_security_event("login", user=alice).created_at = utcnow() - timedelta(days=2)
    db.session.commit()
    prune_security_log_hourly()
    prune_security_log_hourly()  # a second run finds nothing more to do
    assert rows() == []
