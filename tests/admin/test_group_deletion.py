"""A group is deleted once, whoever asks and however often, on both engines: the first deletion (its
owner's or an operator's) marks it (`deleting_at`, migration 0026) and queues its purge; a second one
answers as the first did and queues nothing. Until its job removes it, nobody unarchives it and an
archived group changes no more, for operators too (as a Slack channel is read-only until unarchived)."""
from __future__ import annotations

import pytest

from actions.group_admin import purge_deleted_group
from actions.messages import send_message
from extensions import db
from models import Conversation
from tests.admin.conftest import audit_entries, reload
from tests.database_apps import ENGINES, engine_app
from tests.factories import make_group
from tests.helpers import bearer, refused, run_queued_jobs


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        yield app


@pytest.mark.parametrize("first, second", [("owner", "operator"), ("owner", "owner"), ("operator", "owner"),
                                           ("operator", "operator")])
def test_a_group_deleted_twice_is_purged_once(client, operator_headers, alice, bob, first, second):
    group_id = make_group(alice, members=[bob]).id
    send_message(alice, group_id, "bye")
    db.session.commit()
    by = {"owner": bearer(alice), "operator": operator_headers}
    paths = {"owner": f"/api/groups/{group_id}", "operator": f"/api/admin/groups/{group_id}"}
    for who in (first, second):
        response = client.delete(paths[who], headers=by[who])
        assert (response.status_code, response.get_json()) == (202, {"ok": True})
    assert reload(db.session.get(Conversation, group_id)).deleting_at is not None
    assert len(audit_entries("group.delete")) == (first == "operator")  # the second changed nothing
    assert run_queued_jobs() == [purge_deleted_group.name] * 2  # its message, then the group: one purge
    db.session.expire_all()
    assert db.session.get(Conversation, group_id) is None


def test_a_group_being_deleted_is_not_unarchived(client, operator_headers, alice, bob):
    group_id = make_group(alice, members=[bob]).id
    db.session.commit()
    assert client.delete(f"/api/groups/{group_id}", headers=bearer(alice)).status_code == 202
    assert refused(client.post, f"/api/admin/groups/{group_id}/unarchive",
                   headers=operator_headers) == (409, "group_deleting")
    assert refused(send_message, bob, group_id, "still here?") == (403, "conversation_archived")


def test_operators_change_an_archived_group_no_more_until_they_unarchive_it(client, operator_headers, alice, bob,
                                                                            carol):
    group_id = make_group(alice, members=[bob]).id
    db.session.commit()
    admin = f"/api/admin/groups/{group_id}"
    assert client.post(admin + "/archive", headers=operator_headers).status_code == 200
    for call, path, body in [(client.post, "/members", {"user_id": carol.id}),
                             (client.patch, f"/members/{bob.id}", {"role": "admin"}),
                             (client.delete, f"/members/{bob.id}", None),
                             (client.post, "/broadcasts", {"body": "hello"})]:
        assert refused(call, admin + path, json=body, headers=operator_headers) == (403, "conversation_archived")
    assert client.post(admin + "/unarchive", headers=operator_headers).status_code == 200
    assert client.patch(admin + f"/members/{bob.id}", json={"role": "admin"},
                        headers=operator_headers).status_code == 200


def test_the_migration_marks_the_groups_an_operator_was_deleting(app, operator, alice):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from actions.group_admin import delete_group

    deleting, kept = make_group(alice, "Going").id, make_group(alice, "Kept").id
    delete_group(operator, deleting)
    db.session.commit()
    db.session.remove()
    downgrade(revision="0025_push_token_and_language")
    db.session.remove()
    upgrade()
    marked = dict(db.session.execute(text("SELECT id, deleting_at IS NOT NULL FROM conversations")).all())
    assert {deleting: bool(marked[deleting]), kept: bool(marked[kept])} == {deleting: True, kept: False}


def test_an_owner_and_an_operator_deleting_at_once_queue_one_purge(app, operator, alice, bob):
    """Both in flight together: the group's lock (hold_group) makes the second find the first's deleting_at."""
    from actions.group_admin import delete_group, delete_group_by_owner
    from models import User
    from tests.helpers import run_at_once

    group_id = make_group(alice, members=[bob]).id
    db.session.commit()
    outcomes = run_at_once(app, {
        "owner": lambda: delete_group_by_owner(db.session.get(User, alice.id), group_id),
        "operator": lambda: delete_group(db.session.get(User, operator.id), group_id)})
    assert outcomes == {"owner": None, "operator": None}
    assert run_queued_jobs() == [purge_deleted_group.name]  # no message: the group at once, once
    db.session.expire_all()
    assert db.session.get(Conversation, group_id) is None


def test_a_deletion_from_the_back_office_that_read_the_group_first_finds_the_owners(app, operator, alice, bob):
    """The back office's Delete (Flask-Admin's delete_view) reads the group before it calls delete_group. An
    owner's deletion committed between that read and the group's lock: delete_group then read deleting_at
    from the row read before the lock (the session's copy), found none, and queued a second purge and an
    audit entry. hold_group reads the group again once it holds it."""
    import threading

    from actions.group_admin import delete_group, delete_group_by_owner
    from models import User
    from tests.admin.conftest import audit_entries
    from tests.helpers import run_at_once

    group_id = make_group(alice, members=[bob]).id
    db.session.commit()
    read, deleted = threading.Event(), threading.Event()

    def by_owner():
        assert read.wait(30)
        delete_group_by_owner(db.session.get(User, alice.id), group_id)
        deleted.set()

    def from_the_back_office():
        model = db.session.get(Conversation, group_id)  # delete_view's get_one, held for delete_model(model)
        assert model.deleting_at is None
        read.set()
        assert deleted.wait(30)
        return delete_group(db.session.get(User, operator.id), model.id)

    outcomes = run_at_once(app, {"operator": from_the_back_office, "owner": by_owner})
    assert outcomes == {"owner": None, "operator": None}, outcomes
    assert audit_entries("group.delete") == []
    assert run_queued_jobs() == [purge_deleted_group.name]  # once
