"""The dashboard: online users and sockets, messages per day, active groups, open reports, deactivations."""
import re
from datetime import timedelta

from actions.dashboard import dashboard
from actions.messages import post_system_message, send_message
from actions.reports import report_message
from actions.user_admin import deactivate_user
from admin.dashboard import bar_chart
from extensions import db
from models.time import utcnow
from tests.factories import make_group


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
    assert "cdn" not in page.lower()


def test_bar_chart_scales_to_the_busiest_day():
    from actions.dashboard import DailyCount

    today = utcnow().date()
    bars = bar_chart([DailyCount(today - timedelta(days=1), 0), DailyCount(today, 4)])
    assert bars[0]["height"] == 0 and bars[1]["height"] > 0 and bars[1]["count"] == 4
