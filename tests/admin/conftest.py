"""Fixtures of the back-office tests: clients logged in as an operator and as a regular user, an
operator's bearer token for the admin API, a small world to act on, and the audit log to check."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from actions.messages import send_message
from actions.reports import report_message
from extensions import db
from models import AuditEntry, Conversation, Message, Report, User
from tests.factories import PASSWORD, make_group
from tests.helpers import bearer
from tests.query_count import statements


def logged_in(app, username: str, password: str = PASSWORD):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def operator_client(app, operator):
    return logged_in(app, operator.username)


@pytest.fixture
def user_client(app, alice):
    return logged_in(app, alice.username)


@pytest.fixture
def operator_headers(operator):
    """An operator's program calling /api/admin: headers with a fresh bearer token."""
    return bearer(operator)


@dataclass
class World:
    group: Conversation
    message: Message  # bob's, in the group
    report: Report  # alice reported bob's message


@pytest.fixture
def world(alice, bob, carol) -> World:
    group = make_group(alice, "General", members=[bob, carol])
    message = send_message(bob, group.id, "buy cheap watches").message
    report = report_message(alice, message.id, "spam", "again")
    return World(group, message, report)


def message_in_a_new_group(owner: User, sender: User, number: int) -> Message:
    """The sender's "message <number>" in a new group "Group <number>" of the owner's."""
    group = make_group(owner, f"Group {number}", members=[sender])
    return send_message(sender, group.id, f"message {number}").message


def page_and_statements(client, url: str) -> tuple[str, list[str]]:
    """A back-office page, and the SQL statements it cost."""
    with statements() as seen:
        page = client.get(url).get_data(as_text=True)
    return page, seen


def audit_entries(action: str | None = None) -> list[AuditEntry]:
    db.session.expire_all()
    statement = db.select(AuditEntry).order_by(AuditEntry.id)
    if action is not None:
        statement = statement.where(AuditEntry.action == action)
    return list(db.session.execute(statement).scalars())


def reload(thing):
    db.session.expire_all()
    return db.session.get(type(thing), thing.id)


def user_named(username: str) -> User:
    db.session.expire_all()
    return db.session.execute(db.select(User).where(User.username == username)).scalar_one()
