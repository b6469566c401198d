"""A direct chat whose other person's account was deleted (an account never confirmed, purged by the
hourly job) reads "Deleted account" in the list and the header, as in WhatsApp, keeps its messages and
takes no new one (read-only). Against the live server; the purge is the real job, run on its database."""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from actions.registration import purge_unconfirmed_accounts
from extensions import db
from models import User
from models.time import utcnow
from tests.browser.helpers import assert_nothing_went_wrong


def purge_as_never_confirmed(live_server, user_id: int) -> None:
    """The account goes as one never confirmed does, by the purge job, on the live server's database."""
    with live_server.app_beside():
        user = db.session.get(User, user_id)
        user.confirmed_at, user.created_at = None, utcnow() - timedelta(days=30)
        db.session.commit()
        purge_unconfirmed_accounts()


def test_a_chat_whose_other_account_was_deleted_reads_deleted_account_and_is_read_only(
        chat_page, api_user, live_server):
    alice, xavier = api_user("al"), api_user("xa")
    chat_id = alice.api("POST", "/direct", json={"user_id": xavier.id}).json()["conversation"]["id"]
    assert alice.api("POST", f"/conversations/{chat_id}/messages",
                     json={"body": "hello Xavier", "client_id": "c-1"}).status_code == 201
    purge_as_never_confirmed(live_server, xavier.id)

    page = chat_page()
    page.log_in(alice.username)
    expect(page.conversation(chat_id)).to_contain_text("Deleted account")
    page.open(chat_id)
    expect(page.page.locator("#conversation-title")).to_have_text("Deleted account")
    expect(page.message_with("hello Xavier")).to_have_count(1)
    expect(page.page.locator("#read-only-note")).to_be_visible()
    expect(page.page.locator("#composer")).to_be_hidden()
    assert_nothing_went_wrong(page)
