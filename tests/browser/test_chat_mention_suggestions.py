"""The composer's @mention suggestions leave out a member whose account was deactivated or suspended (as
Slack does): they stay in the group, with their name by their messages, but nobody can reach them.
Against the live server; the account is closed on its database, as the back office closes it."""
from __future__ import annotations

from playwright.sync_api import expect

from app import create_app
from extensions import db
from models import User
from models.time import utcnow
from tests.browser.helpers import assert_nothing_went_wrong, group_with


def deactivate(live_server, user_id: int) -> None:
    app = create_app(environ={**live_server.environment(), "SOCKETIO_ASYNC_MODE": "threading"})
    with app.app_context():
        user = db.session.get(User, user_id)
        user.active, user.deactivated_at = False, utcnow()
        db.session.commit()
        db.session.remove()


def test_a_deactivated_member_is_not_suggested_to_mention(chat_page, api_user, live_server):
    alice, bob, gone = api_user("al"), api_user("mzb"), api_user("mzg")
    group = group_with(alice, bob, gone)["id"]
    deactivate(live_server, gone.id)

    page = chat_page()
    page.log_in(alice.username)
    page.open(group)
    page.page.fill("#composer-input", "")
    page.page.type("#composer-input", "hi @mz")
    expect(page.page.locator(f"#mention-list .mention-choice[data-username='{bob.username}']")).to_be_visible()
    expect(page.page.locator("#mention-list .mention-choice")).to_have_count(1)
    assert_nothing_went_wrong(page)
