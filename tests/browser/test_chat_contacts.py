"""Contacts and blocking in the chat page (static/js/chat/contacts.js): a request sent from the
"Add contact" dialog and accepted elsewhere, an incoming one accepted in the page, presence dots
that follow the contact's connection, one click to the direct chat; blocking from the report
dialog turns the person's group messages into placeholders that expand, and their direct chat
read-only until unblocked."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_nothing_went_wrong, contact_item, group_with, open_as, post

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_contacts_are_added_from_the_page_show_presence_and_open_a_chat(chat_page, api_user):
    alice_account, bob_account, carol_account = api_user("al"), api_user("bob"), api_user("car")
    alice = chat_page()
    alice.log_in(alice_account.username)
    expect(alice.page.locator("#contacts-empty")).to_be_visible()

    alice.page.click("#add-contact-button")
    alice.page.fill("#add-contact-input", "@" + bob_account.username)
    alice.page.click("#add-contact-submit")
    expect(alice.page.locator("#add-contact-dialog")).to_be_hidden()
    expect(alice.page.locator("#contact-requests [data-direction='outgoing']")).to_contain_text("Waiting for")
    # An unknown name: the dialog stays open with the server's reason.
    alice.page.click("#add-contact-button")
    alice.page.fill("#add-contact-input", "nobody-" + uuid.uuid4().hex[:6])
    alice.page.click("#add-contact-submit")
    expect(alice.page.locator("#add-contact-dialog .dialog-error")).to_contain_text("Nobody here has that username")
    alice.page.click("#add-contact-dialog [data-close]")
    expect(alice.page.locator("#add-contact-dialog")).to_be_hidden()

    (request,) = bob_account.api("GET", "/contacts/requests").json()["incoming"]
    assert bob_account.api("POST", f"/contacts/requests/{request['id']}/accept").status_code == 200
    bob = contact_item(alice, bob_account.id)
    expect(bob).to_have_attribute("data-presence", "offline")  # live: contact:added, then its presence
    expect(alice.page.locator("#contact-requests .contact-request")).to_have_count(0)

    bob_socket = bob_account.socket(("message:new",))
    expect(bob).to_have_attribute("data-presence", "online")
    expect(bob.locator(".contact-presence")).to_have_text("online")
    bob_socket.disconnect()
    expect(bob).to_have_attribute("data-presence", "offline")
    expect(bob.locator(".contact-presence")).to_contain_text("last seen")

    # Someone asks alice: the request waits in the sidebar with a badge; accepting makes a contact.
    assert carol_account.api("POST", "/contacts/requests", json={"username": alice_account.username}).status_code == 201
    expect(alice.page.locator("#requests-badge")).to_have_text("1")
    alice.page.locator("#contact-requests [data-direction='incoming']").get_by_role("button", name="Accept").click()
    expect(contact_item(alice, carol_account.id)).to_be_visible()
    expect(alice.page.locator("#requests-badge")).to_be_hidden()
    assert [c["id"] for c in carol_account.api("GET", "/contacts").json()["contacts"]] == [alice_account.id]

    bob_name = bob.locator(".contact-name").inner_text()
    bob.locator(".contact-open").click()  # one click to the direct chat
    expect(alice.page.locator("#conversation-view")).to_be_visible()
    expect(alice.page.locator("#conversation-title")).to_have_text(bob_name)
    alice.type_and_send("hello from the contact list")
    expect(alice.message_with("hello from the contact list")).to_be_visible()
    chats = bob_account.api("GET", "/conversations").json()["conversations"]
    assert [c["last_message"]["body"] for c in chats if c["kind"] == "direct"] == ["hello from the contact list"]
    assert_nothing_went_wrong(alice)


def test_blocking_from_the_report_dialog_hides_their_messages(chat_page, api_user):
    alice_account, bob_account, carol_account = api_user("al"), api_user("bob"), api_user("car")
    group = group_with(alice_account, bob_account, carol_account)
    spam = f"buy now {uuid.uuid4().hex[:6]}"
    post(carol_account, group["id"], spam)
    post(bob_account, group["id"], "a friendly word")
    direct = alice_account.api("POST", "/direct", json={"user_id": carol_account.id}).json()["conversation"]
    post(carol_account, direct["id"], "psst, " + spam)
    alice = open_as(chat_page, alice_account, group["id"])
    theirs = alice.message_with(spam).locator("xpath=ancestor::li")
    theirs.hover()
    theirs.get_by_role("button", name="Report message").click()
    alice.page.check("#report-block")
    alice.page.click("#report-submit")
    expect(alice.page.locator("#toast-region")).to_contain_text("is blocked")

    placeholder = alice.page.locator("#message-list .blocked-placeholder")
    expect(placeholder).to_have_count(1)
    expect(placeholder).to_contain_text("Message from a blocked user")
    expect(alice.message_with(spam)).to_have_count(0)
    expect(alice.conversation(direct["id"])).to_contain_text("Message from a blocked user")  # no preview
    expect(alice.message_with("a friendly word")).to_be_visible()  # others' messages stay
    placeholder.get_by_role("button", name="Show").click()
    expect(alice.message_with(spam)).to_be_visible()
    blocks = alice_account.api("GET", "/blocks").json()["blocks"]
    assert [block["user"]["id"] for block in blocks] == [carol_account.id]
    assert carol_account.api("POST", f"/conversations/{direct['id']}/messages",
                             json={"body": "let me in"}).json()["error"]["code"] == "cannot_message_user"

    # Their direct chat: their messages gone from view, no composer, an Unblock button.
    alice.open(direct["id"])
    expect(alice.page.locator("#blocked-note")).to_be_visible()
    expect(alice.page.locator("#composer")).to_be_hidden()
    expect(alice.message_with("psst")).to_have_count(0)
    alice.page.click("#unblock-button")
    expect(alice.page.locator("#composer")).to_be_visible()
    expect(alice.message_with("psst, " + spam)).to_be_visible()
    expect(alice.conversation(direct["id"])).to_contain_text("psst, " + spam)
    assert alice_account.api("GET", "/blocks").json()["blocks"] == []
    assert_nothing_went_wrong(alice)
