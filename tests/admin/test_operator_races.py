"""Two operators acting on each other at once (demoting, deactivating, suspending) on SQLite and PostgreSQL:
one wins, the other is then no operator any more and is refused (actions.user_admin._hold_operators), so the
service is never left without an operator by two clicks made side by side.

Each operator's request runs in its own thread, app context and database connection, and loads its operator
first, as a request's login does; both have loaded theirs before either acts."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from actions.access import is_operator
from actions.errors import ActionError
from actions.user_admin import deactivate_user, set_user_role, suspend_user
from extensions import db
from models import User
from models.time import utcnow
from tests.database_apps import ENGINES, engine_app
from tests.engines import lock_waits
from tests.factories import make_user
from tests.servers import wait_for


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        yield app


ACTIONS = {
    "demote": lambda operator, other: set_user_role(operator, other, "user"),
    "deactivate": deactivate_user,
    "suspend": lambda operator, other: suspend_user(operator, other, (utcnow() + timedelta(days=1)).isoformat(),
                                                    "Each other"),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_two_operators_acting_on_each_other_at_once_leave_one_operator(app, action):
    ids = [make_user(name, role="admin").id for name in ("ann", "ben")]
    db.session.commit()
    loaded = threading.Barrier(2, timeout=10)
    refusals: list[str] = []
    failures: list[BaseException] = []

    def request(me: int, other: int) -> None:
        with app.app_context():
            try:
                operator = db.session.get(User, me)  # the request's login
                assert is_operator(operator)
                loaded.wait()
                ACTIONS[action](operator, other)
                db.session.commit()
            except ActionError as refused:
                refusals.append(refused.code)
            except BaseException as error:  # noqa: BLE001 (reported to the test)
                failures.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=request, args=pair) for pair in (ids, ids[::-1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == [] and refusals == ["not_an_operator"]
    db.session.expire_all()
    assert sum(is_operator(db.session.get(User, user_id)) for user_id in ids) == 1


@pytest.mark.integration
@pytest.mark.parametrize("app", ["postgresql"], indirect=True)
def test_suspending_an_operator_does_not_deadlock_with_their_send(app):
    """An operator suspends another operator, the only owner of a group, while that one sends into it: the
    send holds the group's numbers (FOR NO KEY UPDATE) and its INSERT's foreign key asks the sender's row
    FOR KEY SHARE; the suspension holds both operators' rows, then the group (share_groups_of_closed_...).
    The operators' rows must be held FOR NO KEY UPDATE, which a foreign key check does not wait for: held
    FOR UPDATE, each waited for the other and PostgreSQL cancelled one as a deadlock."""
    from actions.messages import INSERT_MESSAGE, NEXT_NUMBERS, TAKE_NUMBERS
    from tests.factories import make_group

    ann, ben = make_user("ann", role="admin"), make_user("ben", role="admin")
    group = make_group(ben, members=[make_user("cat")])
    db.session.commit()
    ann_id, ben_id, group_id = ann.id, ben.id, group.id
    failures: list[BaseException] = []

    def suspend() -> None:
        with app.app_context():
            try:
                suspend_user(db.session.get(User, ann_id), ben_id, (utcnow() + timedelta(days=1)).isoformat(), "x")
                db.session.commit()
            except BaseException as error:  # noqa: BLE001 (reported to the test)
                failures.append(error)
            finally:
                db.session.remove()

    with db.engine.connect() as send:  # ben's send, up to its INSERT
        seq, revision = send.execute(NEXT_NUMBERS, {"conversation_id": group_id}).one()
        thread = threading.Thread(target=suspend)
        thread.start()
        database_url = db.engine.url.render_as_string(hide_password=False)
        wait_for(lambda: lock_waits(database_url) == 1, what="the suspension waiting for the group")
        now = utcnow()
        send.execute(INSERT_MESSAGE["postgresql"], {
            "conversation_id": group_id, "sender_id": ben_id, "kind": "text", "body": "hi", "client_id": None,
            "attachment_id": None, "seq": seq, "revision": revision, "reply_to_id": None, "created_at": now,
            "edited_at": None, "deleted_at": None, "hidden_at": None, "hidden_by_id": None,
            "mentions_all": False, "system_event": None})
        send.execute(TAKE_NUMBERS, {"conversation_id": group_id, "seq": seq, "revision": revision, "now": now})
        send.commit()
        thread.join(timeout=30)
    assert failures == []
    db.session.expire_all()
    assert not db.session.get(User, ben_id).active
