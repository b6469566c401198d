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
from tests.factories import make_user


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
