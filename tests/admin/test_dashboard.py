"""The dashboard: online users and sockets, messages per day, active groups, open reports, deactivations (on
both engines). The days before today are counted once (actions/dashboard.py): a visit counts today again, and
shows the same numbers as counting everything would."""
import re
import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event

import actions.dashboard
import admin.dashboard
from actions.dashboard import dashboard
from actions.messages import post_system_message, send_message
from actions.reports import report_message
from actions.user_admin import deactivate_user
from admin.dashboard import bar_chart
from extensions import db
from models import Message
from models.time import utcnow
from tests.database_apps import ENGINES, engine_app
from tests.factories import make_group


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        yield app


def sent_at(sender, conversation_id: int, body: str, moment: datetime) -> Message:
    message = send_message(sender, conversation_id, body).message
    message.created_at = moment
    db.session.commit()
    return message


def traffic(numbers) -> tuple[list[int], list[tuple[str, int]]]:
    return ([day.count for day in numbers.messages_per_day],
            [(activity.group.name, activity.message_count) for activity in numbers.most_active_groups])


def counted_afresh() -> tuple[list[int], list[tuple[str, int]]]:
    """What the dashboard shows when nothing was counted before."""
    from flask import current_app

    current_app.extensions.pop(actions.dashboard.SETTLED_KEY, None)
    return traffic(dashboard())


def test_numbers(operator, alice, bob, carol, socket_client_for):
    busy = make_group(alice, "Busy", members=[bob])
    quiet = make_group(bob, "Quiet")
    for n in range(3):
        send_message(alice, busy.id, f"busy {n}")
    old = send_message(bob, quiet.id, "two days ago").message
    old.created_at = utcnow() - timedelta(days=2)
    db.session.commit()
    post_system_message(busy.id, "service notices do not count")
    report_message(bob, send_message(alice, busy.id, "report me").message.id, "spam")
    deactivate_user(operator, carol.id)
    socket_client_for("alice"), socket_client_for("alice"), socket_client_for("bob")

    numbers = dashboard()
    assert (numbers.online_users, numbers.connected_sockets) == (2, 3)
    assert numbers.messages_today == 4
    assert len(numbers.messages_per_day) == 30 and numbers.messages_per_day[-1].day == utcnow().date()
    assert numbers.messages_per_day[-3].count == 1 and sum(day.count for day in numbers.messages_per_day) == 5
    assert [(a.group.name, a.message_count) for a in numbers.most_active_groups] == [("Busy", 4), ("Quiet", 1)]
    assert numbers.open_reports == 1
    assert [user.username for user in numbers.recently_deactivated] == ["carol"]


def test_page_shows_them_with_a_chart(operator_client, alice):
    group = make_group(alice, "Lively")
    send_message(alice, group.id, "hi")
    page = operator_client.get("/admin/").get_data(as_text=True)
    assert re.search(r'id="messages-today">1<', page)
    assert page.count("<rect ") == 30 and "Lively" in page
    assert 'id="traffic-counted"' in page  # how the days are counted
    assert "cdn" not in page.lower()


def test_the_busiest_groups_label_says_the_days_they_are_counted_over(operator_client, monkeypatch):
    assert "today and the 6 days before (UTC)" in operator_client.get("/admin/").get_data(as_text=True)
    monkeypatch.setattr(admin.dashboard, "dashboard", lambda: dashboard(active_group_days=3))
    assert "today and the 2 days before (UTC)" in operator_client.get("/admin/").get_data(as_text=True)


def test_bar_chart_scales_to_the_busiest_day():
    from actions.dashboard import DailyCount

    today = utcnow().date()
    bars = bar_chart([DailyCount(today - timedelta(days=1), 0), DailyCount(today, 4)])
    assert bars[0]["height"] == 0 and bars[1]["height"] > 0 and bars[1]["count"] == 4


def test_a_visit_counts_today_again_and_the_days_before_once(alice, bob):
    busy, quiet = make_group(alice, "Busy", members=[bob]), make_group(bob, "Quiet")
    now = utcnow()
    for days_ago, group in [(1, busy), (3, busy), (3, quiet), (6, quiet), (8, busy), (29, quiet), (30, busy)]:
        sent_at(alice if group is busy else bob, group.id, f"{days_ago} days ago", now - timedelta(days=days_ago))
    send_message(alice, busy.id, "today")
    first = traffic(dashboard())
    assert first[0][-1] == 1 and first[0][-2] == 1 and first[0][-4] == 2 and first[0][0] == 1 and sum(first[0]) == 7
    assert first[1] == [("Busy", 3), ("Quiet", 2)]  # today, 1 and 3 days ago; 3 and 6 days ago
    assert first == counted_afresh()

    for _ in range(3):  # today's are counted on every visit: Quiet is now the busiest of the week
        send_message(bob, quiet.id, "now")
    post_system_message(quiet.id, "service notices do not count")
    second = traffic(dashboard())
    assert second[0] == first[0][:-1] + [4] and second[1] == [("Quiet", 5), ("Busy", 3)]
    assert second == counted_afresh()


def test_until_a_few_minutes_after_midnight_yesterday_is_counted_on_every_visit(monkeypatch, alice, bob):
    group = make_group(alice, "Night", members=[bob])
    midnight = datetime.combine(utcnow().date(), datetime.min.time())
    sent_at(alice, group.id, "an hour before midnight", midnight - timedelta(hours=1))
    monkeypatch.setattr(actions.dashboard, "utcnow", lambda: midnight + timedelta(minutes=2))
    assert traffic(dashboard())[0][-2:] == [1, 0]
    # stamped by another instance just before midnight, committed after the first visit
    sent_at(bob, group.id, "a second before midnight", midnight - timedelta(seconds=1))
    assert traffic(dashboard()) == ([0] * 28 + [2, 0], [("Night", 2)])
    monkeypatch.setattr(actions.dashboard, "utcnow", lambda: midnight + timedelta(minutes=6))
    sent_at(bob, group.id, "after midnight", midnight + timedelta(minutes=5))
    assert traffic(dashboard()) == ([0] * 28 + [2, 1], [("Night", 3)])


def test_just_after_midnight_the_busiest_groups_of_today_leave_yesterday_out(monkeypatch, alice, bob):
    """Yesterday is counted on every visit for a few minutes after midnight (the test above): in its day, not
    in the busiest groups of a range that starts today."""
    group = make_group(alice, "Night", members=[bob])
    midnight = datetime.combine(utcnow().date(), datetime.min.time())
    sent_at(alice, group.id, "an hour before midnight", midnight - timedelta(hours=1))
    monkeypatch.setattr(actions.dashboard, "utcnow", lambda: midnight + timedelta(minutes=2))
    sent_at(bob, group.id, "a minute after midnight", midnight + timedelta(minutes=1))
    assert traffic(dashboard(active_group_days=1)) == ([0] * 28 + [1, 1], [("Night", 1)])
    assert traffic(dashboard(active_group_days=2)) == ([0] * 28 + [1, 1], [("Night", 2)])


def test_two_first_visits_at_once_count_the_days_before_once(app, monkeypatch, alice):
    """The days before today are counted by one visit: another arriving meanwhile waits for that count rather than
    count the month again (a second count of a million messages, in line behind the first on the one thread of
    long reads)."""
    group = make_group(alice, "Team")
    sent_at(alice, group.id, "yesterday", utcnow() - timedelta(days=1))
    month_start = datetime.combine(utcnow().date() - timedelta(days=29), datetime.min.time())
    second_arrived, second_counts = threading.Event(), threading.Event()
    counts: list[str] = []
    real_settled_counts = actions.dashboard.settled_counts

    def settled_counts(*args):
        if threading.current_thread().name == "second":
            second_arrived.set()
        return real_settled_counts(*args)

    def on_statement(conn, cursor, statement, parameters, context, executemany):
        values = parameters.values() if isinstance(parameters, dict) else parameters
        # the month's count by day (SQLite is given the moment as text)
        if "date(" in statement.lower() and any(str(value).startswith(str(month_start)) for value in values):
            counts.append(threading.current_thread().name)
            if threading.current_thread().name == "second":
                second_counts.set()
            elif len(counts) == 1:  # the first count, held until the second visit is there and had time to count
                assert second_arrived.wait(10)
                second_counts.wait(1)

    monkeypatch.setattr(actions.dashboard, "settled_counts", settled_counts)
    results = {}

    def visit():
        with app.app_context():
            results[threading.current_thread().name] = traffic(dashboard())
            db.session.remove()

    event.listen(db.engine, "before_cursor_execute", on_statement)
    try:
        first = threading.Thread(target=visit, name="first")
        first.start()
        second = threading.Thread(target=visit, name="second")
        while not counts and first.is_alive():  # the first visit is counting
            time.sleep(0.01)
        second.start()
        first.join(20), second.join(20)
    finally:
        event.remove(db.engine, "before_cursor_execute", on_statement)
    assert second_arrived.is_set() and results["first"] == results["second"] == ([0] * 28 + [1, 0], [("Team", 1)])
    assert counts == ["first"]
