"""Migration 0022: user, message, file, report, push subscription and job failure ids are never given twice.

Without AUTOINCREMENT SQLite gives the next row the largest id + 1, so the newest row's id, once
deleted, named the next one. Each test deletes the newest row the way the app does and shows what
the id kept elsewhere (a queued job, a client, a direct chat's key, an audit entry) would have
reached. On both engines (PostgreSQL's sequences never reuse an id); the migration goes down and up
keeping every row.
"""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from actions import web_push
from actions.accounts import register_user
from actions.audit import entries_for
from actions.direct import open_direct_conversation
from actions.errors import NotFound
from actions.files import access_attachment, upload_attachment
from actions.group_admin import delete_group_by_owner
from actions.job_admin import dismiss_job_failure
from actions.messages import message_history, send_message
from actions.registration import purge_unconfirmed_accounts
from actions.reports import report_message, resolve_report
from actions.search import search_messages
from events import atomic
from extensions import db
from models import JobFailure, User
from models.time import utcnow
from tests.database_apps import ENGINES, engine_app
from tests.factories import PASSWORD, make_group, unconfirm
from tests.files.samples import png_bytes
from tests.helpers import bearer, push_keys, run_queued_jobs

TABLES = ("users", "attachments", "messages", "reports", "push_subscriptions", "job_failures")


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        app.config["VAPID_PRIVATE_KEY_FILE"] = str(tmp_path / "vapid_private_key.pem")
        yield app


@pytest.fixture
def pushed(monkeypatch) -> list[tuple[str, dict]]:
    """What the push job posted: (endpoint, payload) per push, to no push service."""
    sent = []
    monkeypatch.setattr(web_push, "webpush", lambda subscription, data, **_: sent.append(
        (subscription["endpoint"], data)))
    return sent


def browser(name: str) -> dict:
    """A browser's PushSubscription.toJSON(), on a push service of the default WEB_PUSH_ENDPOINT_HOSTS."""
    return {"endpoint": f"https://fcm.googleapis.com/fcm/send/{name}", "keys": push_keys()}


def subscribe(client, user, name: str) -> int:
    """The user's browser `name` subscribes (POST /api/push/subscriptions); its subscription's id."""
    response = client.post("/api/push/subscriptions", json={"subscription": browser(name)}, headers=bearer(user))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["subscription"]["id"]


def unsubscribe(client, user, name: str) -> None:
    response = client.delete("/api/push/subscriptions", json={"endpoint": browser(name)["endpoint"]},
                             headers=bearer(user))
    assert response.status_code == 200, response.get_json()


def delete_and_purge(owner, group) -> None:
    """The owner deletes the group; the purge job removes its messages, files and reports, then it."""
    delete_group_by_owner(owner, group.id)
    run_queued_jobs()


def test_a_push_job_for_a_forgotten_subscription_never_reaches_the_next_browser(client, alice, bob, pushed):
    group = make_group(alice, "Team", [bob])
    gone = subscribe(client, bob, "bob")
    message_id = send_message(alice, group.id, "for bob's phone").message.id  # a push job for (gone, message) waits
    db.session.commit()
    unsubscribe(client, bob, "bob")  # or the push service said 410 to an earlier push
    subscribe(client, alice, "alice")
    web_push.send_message_push(gone, message_id)  # the job's run, or its retry
    assert pushed == []  # not alice's own message, on alice's browser


def test_a_push_job_for_a_deleted_groups_message_never_pushes_the_next_message(client, alice, bob, pushed):
    deleted, kept = make_group(alice, "Gone", [bob]), make_group(alice, "Kept", [bob])
    subscription = subscribe(client, bob, "bob")
    gone = send_message(alice, deleted.id, "for bob").message.id
    delete_and_purge(alice, deleted)  # runs the push job too: the push service fails it, say, and it is retried
    pushed.clear()
    later = send_message(bob, kept.id, "bob's own words").message.id
    web_push.send_message_push(subscription, gone)
    assert pushed == [] and later != gone  # not bob's own message, to bob


def test_a_deleted_groups_file_id_never_names_another_file(alice, bob):
    deleted, kept = make_group(alice, "Gone", [bob]), make_group(alice, "Kept", [bob])
    photo = upload_attachment(alice, deleted.id, "old.png", None, io.BytesIO(png_bytes()))
    send_message(alice, deleted.id, "", kind="image", attachment_id=photo.id)
    gone = photo.id  # bob's client shows /files/<gone>
    delete_and_purge(alice, deleted)
    later = upload_attachment(alice, kept.id, "new.png", None, io.BytesIO(png_bytes(color=(0, 0, 200))))
    send_message(alice, kept.id, "", kind="image", attachment_id=later.id)
    db.session.commit()
    with pytest.raises(NotFound):  # not the new photo in the old one's place
        access_attachment(bob, gone)


def test_a_report_gone_with_its_group_never_lends_its_history(operator, alice, bob):
    deleted, kept = make_group(alice, "Gone", [bob]), make_group(alice, "Kept", [bob])
    spam = send_message(alice, deleted.id, "buy now").message.id
    resolved = report_message(bob, spam, "spam").id
    resolve_report(operator, resolved, "dismissed")
    delete_and_purge(alice, deleted)
    later = report_message(bob, send_message(alice, kept.id, "buy again").message.id, "spam").id
    db.session.commit()
    assert entries_for("report", later) == [] and later != resolved  # open, not "dismissed by operator"


def test_a_dismissed_job_failures_id_never_names_the_next_failure(operator):
    with atomic():
        first = JobFailure(task_id="t-1", job_name="mail", arguments=["x"], status="failed", attempts=5,
                           error="boom", traceback="")
        db.session.add(first)
    dismissed = first.id
    dismiss_job_failure(operator, dismissed)
    with atomic():
        later = JobFailure(task_id="t-2", job_name="push", arguments=["y"], status="failed", attempts=5,
                           error="bang", traceback="")
        db.session.add(later)
    # The audit entry of the dismissal (and an operator's page still open on it) names only the first.
    assert entries_for("job_failure", later.id) == [] and later.id != dismissed


def test_a_purged_accounts_id_never_goes_to_the_next_account(alice):
    """An account never confirmed is deleted after UNCONFIRMED_ACCOUNT_DAYS; its id stays in what others
    kept: the direct chat's key (user ids), membership notes, audit entries."""
    unconfirmed = register_user("xavier", PASSWORD)
    send_message(alice, open_direct_conversation(alice, unconfirmed.id).conversation.id, "hello Xavier")
    unconfirm(unconfirmed)  # written to before such accounts were hidden (User.findable)
    unconfirmed.created_at = utcnow() - timedelta(days=8)
    purged = unconfirmed.id
    db.session.commit()
    purge_unconfirmed_accounts()
    newcomer = register_user("yvonne", PASSWORD)
    chat = open_direct_conversation(alice, newcomer.id)
    # Not xavier's chat, where yvonne is no member: alice would write to nobody, and yvonne could never reach her.
    assert chat.created and newcomer.id != purged
    assert [message.body for message in message_history(newcomer, chat.conversation.id).messages] == []


# the migration

def autoincrement_tables() -> set[str]:
    """Which of TABLES SQLite declares with AUTOINCREMENT (none on PostgreSQL: nothing to declare)."""
    if db.engine.dialect.name != "sqlite":
        return set()
    rows = db.session.execute(text("SELECT name FROM sqlite_master WHERE type = 'table' "
                                   "AND sql LIKE '%AUTOINCREMENT%'"))
    return {name for (name,) in rows} & set(TABLES)


def counts() -> dict[str, int]:
    return {table: db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() for table in TABLES}


def test_going_down_and_up_keeps_every_row_and_the_search_index(client, alice, bob):
    group = make_group(alice, "Team", [bob])
    photo = upload_attachment(alice, group.id, "photo.png", None, io.BytesIO(png_bytes()))
    send_message(alice, group.id, "", kind="image", attachment_id=photo.id)
    report_message(bob, send_message(alice, group.id, "findable words").message.id, "spam")
    subscribe(client, bob, "bob")
    db.session.add(JobFailure(task_id="t-1", job_name="mail", arguments=[], status="failed", attempts=1))
    db.session.commit()
    before, bob_id, group_id = counts(), bob.id, group.id
    assert all(before.values())
    upgraded = set(TABLES) if db.engine.dialect.name == "sqlite" else set()
    assert autoincrement_tables() == upgraded
    db.session.remove()

    downgrade(revision="0021_request_ids_not_reused")
    assert counts() == before and autoincrement_tables() == set()
    db.session.remove()
    upgrade()

    assert counts() == before and autoincrement_tables() == upgraded
    send_message(db.session.get(User, bob_id), group_id, "written after the rebuild")
    db.session.commit()
    # The search index follows the rebuilt table: what it held, and what comes after (its triggers).
    assert [m.body for m in search_messages("findable").messages] == ["findable words"]
    assert [m.body for m in search_messages("rebuild").messages] == ["written after the rebuild"]
