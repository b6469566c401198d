"""Timed suspensions (actions.user_admin.suspend_user): refused at login with the date and the
reason once the password is right, lifted by the first login after the date, audited."""
from datetime import timedelta

import pytest

from actions.accounts import issue_api_token, user_for_token
from actions.errors import Conflict, InvalidInput
from actions.user_admin import deactivate_user, suspend_user, unsuspend_user
from extensions import db
from models.time import utcnow
from tests.admin.conftest import audit_entries, reload
from tests.factories import PASSWORD, make_group
from tests.helpers import events, refused

NEXT_WEEK = (utcnow() + timedelta(days=7)).replace(microsecond=0)


def test_a_suspended_user_is_told_until_when_and_why_after_the_right_password_only(app, client, operator, alice):
    token = issue_api_token(alice).token
    suspend_user(operator, alice.id, NEXT_WEEK.isoformat() + "Z", "Spamming the lobby")
    alice = reload(alice)
    assert (alice.active, alice.suspended_until, alice.suspension_reason) == (False, NEXT_WEEK, "Spamming the lobby")
    assert user_for_token(token) is None  # tokens end as with a deactivation

    wrong = client.post("/api/tokens", json={"username": "alice", "password": "not the password"})
    assert (wrong.status_code, wrong.json["error"]["code"]) == (401, "invalid_credentials")
    right = client.post("/api/tokens", json={"username": "alice", "password": PASSWORD})
    assert right.status_code == 401
    assert right.json["error"] == {"code": "account_suspended", "until": NEXT_WEEK.isoformat() + ".000Z",
                                   "reason": "Spamming the lobby", "message": right.json["error"]["message"]}
    page = client.post("/login", data={"username": "alice", "password": PASSWORD})
    text = page.get_data(as_text=True)
    assert page.status_code == 400 and "This account is suspended until" in text and "Spamming the lobby" in text

    [entry] = audit_entries("user.suspend")
    assert (entry.actor_id, entry.target_id, entry.before["active"]) == (operator.id, alice.id, True)
    assert entry.after["suspended_until"] == NEXT_WEEK.isoformat() + ".000Z"
    assert entry.after["suspension_reason"] == "Spamming the lobby"


def test_the_first_login_after_the_date_lifts_the_suspension(app, client, operator, alice, bob, socket_client_for):
    group = make_group(bob, members=[alice])
    suspend_user(operator, alice.id, NEXT_WEEK.isoformat(), "Cooling off")
    page = socket_client_for("bob")
    events(page)
    alice = reload(alice)
    alice.suspended_until = utcnow() - timedelta(minutes=1)  # as if the week had passed
    db.session.commit()
    response = client.post("/api/tokens", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 201, response.json
    alice = reload(alice)
    assert (alice.active, alice.suspended_until, alice.suspension_reason, alice.deactivated_at) == (
        True, None, None, None)
    # The members of her groups see her account open again (her Member's `active`), as after an unsuspend.
    assert [(payload["conversation_id"], payload["member"]["id"], payload["member"]["active"])
            for name, payload in events(page) if name == "member:updated"] == [(group.id, alice.id, True)]


def test_unsuspend_ends_it_early_and_a_deactivation_is_not_a_suspension(operator, alice, bob):
    suspend_user(operator, alice.id, NEXT_WEEK.isoformat(), "Cooling off")
    unsuspend_user(operator, alice.id)
    assert reload(alice).active and reload(alice).suspended_until is None
    assert [entry.action for entry in audit_entries()] == ["user.suspend", "user.unsuspend"]
    deactivate_user(operator, bob.id)
    assert refused(unsuspend_user, operator, bob.id) == (409, "not_suspended")
    assert refused(suspend_user, operator, bob.id, NEXT_WEEK.isoformat(), "x") == (409, "already_deactivated")


@pytest.mark.parametrize(("until", "reason", "code"), [
    (None, "reason", "invalid_until"),
    ("next tuesday", "reason", "invalid_until"),
    ("2020-01-01", "reason", "invalid_until"),  # in the past
    ("9999-12-31T23:59", "reason", "invalid_until"),  # more than 100 years ahead
    (NEXT_WEEK.isoformat(), "", "invalid_reason"),
    (NEXT_WEEK.isoformat(), "x" * 501, "invalid_reason"),
    (NEXT_WEEK.isoformat(), 12, "invalid_reason"),
], ids=["no-date", "not-a-date", "past", "too-far", "empty-reason", "long-reason",
        "reason-not-text"])  # the same ids in every process
def test_bad_suspensions_change_nothing(operator, alice, until, reason, code):
    assert refused(suspend_user, operator, alice.id, until, reason) == (400, code)


def test_the_suspension_form_asks_for_a_reason_of_one_line(app, operator, alice):
    """The reason the user is told is one line (a line break is refused): the page offered a text area for it,
    where an operator's Enter made a reason the action refuses."""
    from tests.admin.conftest import logged_in

    page = logged_in(app, operator.username).get(f"/admin/user/manage/?id={alice.id}").get_data(as_text=True)
    form = page[page.index(f'action="/admin/user/manage/{alice.id}/suspend"'):]
    form = form[:form.index("</form>")]
    assert "<textarea" not in form
    assert '<input class="form-control" id="reason" maxlength="500" name="reason" required type="text"' in form
    assert refused(suspend_user, operator, alice.id, NEXT_WEEK.isoformat(), "two\nlines") == (400, "invalid_reason")


def test_a_time_near_the_end_of_year_9999_is_shown_east_of_utc_too(app, operator, alice):
    """A suspension stored before the 100-year bound (or by hand) still shows: the Users panel of an
    operator east of UTC was a 500 (the time did not fit a date once moved into their zone)."""
    from datetime import datetime

    from tests.admin.conftest import logged_in

    operator.time_zone = "Pacific/Kiritimati"
    alice.active, alice.suspended_until, alice.suspension_reason = False, datetime(9999, 12, 31, 23, 59), "x"
    db.session.commit()
    client = logged_in(app, operator.username)
    for page in ("/admin/user/", f"/admin/user/manage/?id={alice.id}", f"/admin/user/details/?id={alice.id}"):
        response = client.get(page)
        assert response.status_code == 200, page
        assert "9999-12-31T23:59 UTC" in response.get_data(as_text=True), page


def test_an_operator_cannot_suspend_themself_nor_may_a_user(operator, alice, bob):
    assert refused(suspend_user, operator, operator.id, NEXT_WEEK.isoformat(), "x") == (409, "cannot_suspend_self")
    assert refused(suspend_user, alice, bob.id, NEXT_WEEK.isoformat(), "x") == (403, "not_an_operator")
    with pytest.raises((Conflict, InvalidInput)):
        suspend_user(operator, operator.id, "", "x")


def test_a_password_reset_by_code_after_the_suspension_opens_the_account(app, client, operator, caplog):
    from actions.accounts import register_user
    from tests.test_api_accounts import CODE, sent_messages

    dave = register_user("dave", PASSWORD, email="dave@example.org")
    suspend_user(operator, dave.id, NEXT_WEEK.isoformat(), "Cooling off")
    client.post("/password/forgot", data={"login": "dave@example.org"})  # still suspended: no code
    dave = reload(dave)
    dave.suspended_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    client.post("/password/forgot", data={"login": "dave@example.org"})
    [message] = sent_messages(caplog)  # only the second request's: the first one, while suspended, sent none
    code = CODE.search(message).group(1)
    done = client.post("/password/reset", data={"login": "dave@example.org", "code": code,
                                                "password": "brand new secret", "confirm": "brand new secret"})
    assert done.status_code == 302
    dave = reload(dave)
    assert (dave.active, dave.suspended_until) == (True, None) and dave.check_password("brand new secret")
