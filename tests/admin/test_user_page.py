"""The back office's per-user page (admin/users.py manage_view, actions.account_overview), its
suspension form, and what the other panels show by name: the audit log, the reports queue, the
dashboard's chart, the navigation and the favicon."""
import re
from datetime import timedelta

from actions.messages import send_message
from actions.moderation import hide_message
from actions.reports import report_message
from actions.user_admin import suspend_user
from models.time import utcnow
from tests.admin.conftest import audit_entries, logged_in, message_in_a_new_group, page_and_statements, reload
from tests.factories import PASSWORD


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_the_page_shows_messages_reports_sessions_and_audit_entries(app, operator, operator_client, world, alice, bob):
    report_message(bob, _message_of(alice, world), "abuse", "")
    hide_message(operator, world.message.id)
    logged_in(app, "bob")  # a live session
    page = operator_client.get(f"/admin/user/manage/?id={bob.id}").get_data(as_text=True)
    messages = _section(page, "user-messages")
    assert "buy cheap watches" in messages and f"/admin/message/context/?id={world.message.id}" in messages
    assert "General" in messages and "hidden" in messages
    received = _section(page, "user-reports-received")
    assert f"/admin/report/review/?id={world.report.id}" in received and ">open<" in received
    made = _section(page, "user-reports-made")
    assert "abuse" in made
    assert _section(page, "user-sessions").count("data-session-id") == 1
    audit = _section(page, "user-audit")
    assert "Nothing in the audit log" in audit  # hiding a message is about the message, not the account
    suspend_user(operator, bob.id, (utcnow() + timedelta(days=1)).isoformat(), "Flooding")
    audit = _section(operator_client.get(f"/admin/user/manage/?id={bob.id}").get_data(as_text=True), "user-audit")
    assert "user.suspend" in audit and f"/admin/user/manage/?id={operator.id}" in audit


def _message_of(author, world):
    return send_message(author, world.group.id, "from alice").message.id


def _section(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}"')
    return page[start:page.index("</table>", start)]


def test_the_pages_links_lead_to_this_accounts_messages_and_audit_entries(operator, operator_client, world, bob,
                                                                         carol):
    suspend_user(operator, carol.id, (utcnow() + timedelta(days=1)).isoformat(), "Noise")
    suspend_user(operator, bob.id, (utcnow() + timedelta(days=1)).isoformat(), "Spam")
    listing = operator_client.get("/admin/user/").get_data(as_text=True)
    assert f'<a href="/admin/user/manage/?id={bob.id}">bob</a>' in listing  # the username opens the page
    page = operator_client.get(f"/admin/user/manage/?id={bob.id}").get_data(as_text=True)
    audit_url = re.search(r'href="([^"]+)">Every audit entry about this account', page).group(1)
    audit = operator_client.get(audit_url.replace("&amp;", "&")).get_data(as_text=True)
    assert "Spam" in audit and "Noise" not in audit
    messages_url = re.search(r'href="([^"]+)">All messages of this account', page).group(1)
    messages = operator_client.get(messages_url.replace("&amp;", "&")).get_data(as_text=True)
    assert "buy cheap watches" in messages


def test_the_suspension_form_suspends_and_the_button_lifts_it(operator, operator_client, alice):
    page = operator_client.get(f"/admin/user/manage/?id={alice.id}").get_data(as_text=True)
    until = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)
    response = operator_client.post(f"/admin/user/manage/{alice.id}/suspend", data={
        "csrf_token": csrf_of(page), "until": until.strftime("%Y-%m-%dT%H:%M"), "reason": "Cooling off"})
    assert response.status_code == 302
    alice = reload(alice)
    assert (alice.active, alice.suspended_until, alice.suspension_reason) == (False, until, "Cooling off")
    page = operator_client.get(f"/admin/user/manage/?id={alice.id}").get_data(as_text=True)
    assert 'id="user-suspension"' in page and "Cooling off" in page and "Lift the suspension" in page
    operator_client.post(f"/admin/user/manage/{alice.id}/unsuspend", data={"csrf_token": csrf_of(page)})
    assert reload(alice).active is True and reload(alice).suspended_until is None
    assert [entry.action for entry in audit_entries()] == ["user.suspend", "user.unsuspend"]


def test_a_suspension_in_the_past_or_without_reason_is_refused(operator_client, alice):
    page = operator_client.get(f"/admin/user/manage/?id={alice.id}").get_data(as_text=True)
    for until, reason in (("2020-01-01T10:00", "old"), ((utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"), "")):
        response = operator_client.post(f"/admin/user/manage/{alice.id}/suspend", follow_redirects=True,
                                        data={"csrf_token": csrf_of(page), "until": until, "reason": reason})
        assert response.status_code == 200, response.status_code
        assert 'class="flash error alert alert-danger alert-dismissible"' in response.get_data(as_text=True)
    assert reload(alice).active is True and audit_entries() == []


def test_the_audit_log_names_and_links_what_it_is_about(operator, operator_client, world, carol):
    from actions.group_admin import remove_group_member

    remove_group_member(operator, world.group.id, carol.id)
    hide_message(operator, world.message.id)
    page = operator_client.get("/admin/audit/").get_data(as_text=True)
    assert f'href="/admin/group/members/?id={world.group.id}">General</a>' in page
    assert f'href="/admin/user/manage/?id={carol.id}">carol</a>' in page  # the removed member, from "before"
    assert f'href="/admin/message/context/?id={world.message.id}">message #{world.message.id} in General</a>' in page
    assert f'href="/admin/user/manage/?id={operator.id}">operator</a>' in page
    assert '"user_id"' not in page and "{&#34;" not in page  # no raw JSON


def test_an_open_report_says_open(operator_client, world):
    page = operator_client.get("/admin/report/").get_data(as_text=True)
    assert '<span class="badge badge-warning">open</span>' in page and "None" not in page


def test_the_dashboard_chart_has_axes_and_labels(operator_client, world):
    page = operator_client.get("/admin/").get_data(as_text=True)
    chart = page[page.index('id="messages-chart"'):page.index("</svg>")]
    assert 'id="chart-y-title">Messages<' in chart and 'id="chart-x-title">Day (UTC)<' in chart
    ticks = re.findall(r'class="chart-tick">([^<]+)<', chart)
    assert ticks[:2] == ["0", "1"] and len(ticks) == 5  # 0 and 1 message; three dates
    assert chart.count("<rect ") == 30


def test_the_dashboard_tells_a_suspension_from_a_deactivation(operator, operator_client, alice, bob):
    from actions.user_admin import deactivate_user

    suspend_user(operator, alice.id, (utcnow() + timedelta(days=1)).isoformat(), "Cooling off")
    deactivate_user(operator, bob.id)
    page = operator_client.get("/admin/").get_data(as_text=True)
    listed = page[page.index('id="recently-deactivated"'):]
    listed = listed[:listed.index("</table>")]
    assert listed.count("suspended until") == 1 and "alice" in listed and "bob" in listed


def test_navigation_logout_chat_link_and_favicon(app, client, operator_client, user_client):
    page = operator_client.get("/admin/").get_data(as_text=True)
    assert 'id="admin-chat-link" href="/"' in page and 'action="/logout"' in page and "favicon.svg" in page
    chat = operator_client.get("/").get_data(as_text=True)
    assert 'id="back-office-link"' in chat and "favicon.svg" in chat
    assert 'id="back-office-link"' not in user_client.get("/").get_data(as_text=True)
    assert client.get("/static/favicon.svg").status_code == 200
    logout = operator_client.post("/logout", data={"csrf_token": csrf_of(page)})
    assert logout.status_code == 302 and operator_client.get("/admin/").status_code == 302


def test_an_operator_sent_to_login_comes_back_to_the_back_office(app, operator):
    client = app.test_client()
    to_login = client.get("/admin/user/")
    assert to_login.status_code == 302 and "/login?next=" in to_login.headers["Location"]
    response = client.post(to_login.headers["Location"], data={"username": "operator", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/user/")


def test_the_page_names_the_conversations_of_its_messages_in_one_query(operator_client, alice, bob):
    def page_statements() -> list[str]:
        page, seen = page_and_statements(operator_client, f"/admin/user/manage/?id={bob.id}")
        listed = _section(page, "user-messages")
        assert listed.count("data-message-id") == len(messages)
        assert all(f'href="/admin/group/members/?id={message.conversation_id}">Group {number}</a>' in listed
                   for number, message in enumerate(messages))
        return seen

    messages = [message_in_a_new_group(alice, bob, 0)]
    few = page_statements()
    messages += [message_in_a_new_group(alice, bob, number) for number in range(1, 4)]
    many = page_statements()
    assert len(many) == len(few), "\n".join(many)  # not one query per conversation


def test_the_pages_audit_entries_are_named_in_a_few_queries_not_a_few_per_entry(operator, operator_client, alice,
                                                                                 bob):
    """An operator's page lists what they did: each entry's target is named, loaded with the others."""
    def page_statements(entries: int) -> list[str]:
        page, seen = page_and_statements(operator_client, f"/admin/user/manage/?id={operator.id}")
        assert _section(page, "user-audit").count(">message #") == entries
        return seen

    hide_message(operator, message_in_a_new_group(alice, bob, 0).id)
    few = page_statements(1)
    for number in range(1, 5):
        hide_message(operator, message_in_a_new_group(alice, bob, number).id)
    many = page_statements(5)
    assert len(many) == len(few), "\n".join(many)
