"""The lists of the chat page change under the user's pointer: a message arrives, someone starts typing
or comes online. A click pressed on an entry before such a change and released after it opens what the
entry opens, as in Slack or WhatsApp Web (a click is a press and a release on the same element: an entry
drawn anew in between would be a different element, and the click would open nothing)."""
from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    assert_nothing_went_wrong,
    contact_item,
    group_with,
    intercept_sends,
    member_row,
    module_script_runner,
    open_as,
    post,
    press_on,
    two_in_a_group,
)
from tests.files.samples import PDF_BYTES
from tests.servers import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_a_click_spanning_a_change_of_the_entry_opens_its_conversation(chat_page, api_user):
    alice_account, bob_account = api_user("al"), api_user("bob")
    assert bob_account.api("PATCH", "/me", json={"display_name": "Bob"}).status_code == 200
    other = group_with(alice_account, bob_account)["id"]
    talk = group_with(alice_account, bob_account)["id"]
    post(bob_account, talk, "first")  # the newest activity: talk is the list's first entry, and stays it
    alice = open_as(chat_page, alice_account, other)
    bob = open_as(chat_page, bob_account, talk)
    entry = alice.conversation(talk)
    preview = entry.locator(".conversation-preview")
    expect(preview).to_have_text("Bob: first")

    # A message arrives in it between the press and the release: its preview, time and unread count change.
    press_on(alice, entry.locator(".conversation-preview"))
    post(bob_account, talk, "second")
    expect(preview).to_have_text("Bob: second")
    expect(entry.locator(".unread-badge")).to_have_text("2")
    alice.page.mouse.up()
    expect(entry.locator("button")).to_have_attribute("aria-current", "true")

    # Someone starts typing in the other one between the press and the release: its preview says so.
    other_preview = alice.conversation(other).locator(".conversation-preview")
    press_on(alice, other_preview)
    bob.open(other)
    bob.page.locator("#composer-input").press_sequentially("are you")
    expect(other_preview).to_have_text("Bob is typing…")
    alice.page.mouse.up()
    expect(alice.conversation(other).locator("button")).to_have_attribute("aria-current", "true")
    assert_nothing_went_wrong(alice, bob)


def test_a_click_on_a_contact_spanning_their_presence_change_opens_the_chat(chat_page, api_user):
    """The contacts' list is drawn again whenever a contact comes online or goes: the click on "Message"
    that spans it opens the direct chat."""
    alice_account, bob_account = api_user("al"), api_user("bob")
    assert bob_account.api("PATCH", "/me", json={"display_name": "Bob"}).status_code == 200
    assert alice_account.api("POST", "/contacts/requests", json={"username": bob_account.username}).status_code == 201
    (request,) = bob_account.api("GET", "/contacts/requests").json()["incoming"]
    assert bob_account.api("POST", f"/contacts/requests/{request['id']}/accept").status_code == 200
    alice = chat_page()
    alice.log_in(alice_account.username)
    bob = contact_item(alice, bob_account.id)
    expect(bob).to_have_attribute("data-presence", "offline")

    press_on(alice, bob.locator(".contact-open"))
    bob_socket = bob_account.socket(("message:new",))
    expect(bob).to_have_attribute("data-presence", "online")
    alice.page.mouse.up()
    expect(alice.page.locator("#conversation-title")).to_have_text("Bob")
    bob_socket.disconnect()
    assert_nothing_went_wrong(alice)


def test_a_click_on_a_members_button_spanning_a_presence_change_and_after_a_role_change(chat_page, api_user):
    """The group panel's members are drawn again at each presence change while it is open: the click on
    "Remove" that spans one asks to remove; and a button drawn again as another (the member's role changed)
    does what it now says."""
    alice_account, bob_account, carol_account = api_user("al"), api_user("bob"), api_user("car")
    assert carol_account.api("PATCH", "/me", json={"display_name": "Carol"}).status_code == 200
    group = group_with(alice_account, bob_account, carol_account)["id"]
    alice = open_as(chat_page, alice_account, group)
    alice.page.click("#group-info-button")
    bob_row, carol_row = member_row(alice, bob_account.id), member_row(alice, carol_account.id)
    expect(bob_row).to_have_attribute("data-presence", "offline")

    # Another device of Alice's makes Carol an admin: her row's first button now says "Make member".
    assert alice_account.api("PATCH", f"/groups/{group}/members/{carol_account.id}",
                             json={"role": "admin"}).status_code == 200
    expect(carol_row).to_have_attribute("data-role", "admin")
    carol_row.get_by_role("button", name="Make member (Carol)").click()
    expect(carol_row).to_have_attribute("data-role", "member")
    members = alice_account.api("GET", f"/conversations/{group}/members").json()["members"]
    assert {member["id"]: member["role"] for member in members}[carol_account.id] == "member"

    press_on(alice, carol_row.get_by_role("button", name="Remove (Carol)"))
    bob_socket = bob_account.socket(("message:new",))
    expect(bob_row).to_have_attribute("data-presence", "online")
    alice.page.mouse.up()
    expect(alice.page.locator("#confirm-dialog")).to_contain_text("Remove Carol?")
    alice.page.click("#confirm-button")
    expect(carol_row).to_have_count(0)
    bob_socket.disconnect()
    assert_nothing_went_wrong(alice)


def test_a_name_selected_in_the_members_dialog_stays_selected_across_a_presence_change(chat_page, api_user):
    """The members dialog is drawn again at each presence change while it is open: a name selected in it (to
    copy) stays selected when another member comes online."""
    alice_account, bob_account, carol_account = api_user("al"), api_user("bob"), api_user("car")
    for account, name in ((bob_account, "Bob"), (carol_account, "Carol")):
        assert account.api("PATCH", "/me", json={"display_name": name}).status_code == 200
    group = group_with(alice_account, bob_account, carol_account)["id"]
    alice = open_as(chat_page, alice_account, group)
    alice.page.click("#conversation-presence")
    members = alice.page.locator("#members-list")
    bob_row = members.locator(f'.member-item[data-user-id="{bob_account.id}"]')
    carol_name = members.locator(f'.member-item[data-user-id="{carol_account.id}"] .member-name')
    expect(bob_row).to_have_attribute("data-presence", "offline")
    carol_name.evaluate("(name) => getSelection().selectAllChildren(name)")
    assert alice.page.evaluate("getSelection().toString()") == "Carol"

    bob_socket = bob_account.socket(("message:new",))
    expect(bob_row).to_have_attribute("data-presence", "online")
    assert alice.page.evaluate("getSelection().toString()") == "Carol"
    bob_socket.disconnect()
    assert_nothing_went_wrong(alice)


# Refuses the message "first" as the send rate would (its Retry and Discard wait for the user); sends the others.
REFUSE_FIRST = """(payload, ack, send) => payload.body === "first"
  ? ack({ok: false, error: {code: "rate_limited", message: "Slow down.", retry_after: 3600}}) : send()"""


def test_a_click_on_discard_during_another_files_upload_discards(chat_page, api_user):
    """While a file uploads, the pending messages are drawn again at each step of its progress bar: the Discard
    of a refused message clicked meanwhile discards it, and the file's message goes after it."""
    _, _, _, alice, bob = two_in_a_group(chat_page, api_user)
    intercept_sends(alice, REFUSE_FIRST)
    alice.type_and_send("first")
    refused = alice.page.locator("#pending-list .message.failed")
    expect(refused.locator(".message-body")).to_have_text("first")
    # The upload slowed down (256 KiB/s) so that it lasts: its bar moves every frame for seconds.
    network = alice.context.new_cdp_session(alice.page)
    network.send("Network.enable")
    network.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                      "uploadThroughput": 256 * 1024})
    alice.page.set_input_files("#file-input", files=[
        {"name": "slow.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES + b" " * 2 * 1024 * 1024}])
    alice.send_chosen_files()
    bar = alice.page.locator("#pending-list progress.upload-progress")
    wait_for(lambda: 0 < bar.evaluate("bar => bar.value") < 0.5, what="the bar moving")

    press_on(alice, refused.get_by_role("button", name="Discard"))
    pressed_at = bar.evaluate("bar => bar.value")
    wait_for(lambda: bar.evaluate("bar => bar.value") > pressed_at, what="the bar drawn again")
    alice.page.mouse.up()
    expect(refused).to_have_count(0)
    network.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                      "uploadThroughput": -1})
    expect(bob.page.locator("#message-list .attachment-name")).to_have_text(["slow.pdf"])
    expect(alice.page.locator("#pending-list .message")).to_have_count(0)
    assert "first" not in [text.strip() for text in bob.page.locator("#message-list .message-body").all_inner_texts()]
    assert_nothing_went_wrong(alice, bob)


def test_a_click_on_a_messages_button_spanning_a_change_of_that_message_does_what_it_says(chat_page, api_user):
    """A message is drawn again when it is edited or someone reacts to it: a click on its Reply, or on one of
    its reactions, pressed before such a change and released after it, replies or reacts; the message is drawn
    as it now is once the button is released."""
    alice_account, bob_account, carol_account = api_user("al"), api_user("bob"), api_user("car")
    group = group_with(alice_account, bob_account, carol_account)["id"]
    message = post(bob_account, group, "lunch at noon?")
    assert carol_account.api("POST", f"/messages/{message['id']}/reactions", json={"emoji": "👍"}).status_code == 200
    alice = open_as(chat_page, alice_account, group)
    item = alice.page.locator(f"#message-list .message[data-id='{message['id']}']")
    item.hover()  # the actions show on hover

    def received(check: str) -> None:
        """The page has the change (its store), whether or not it is drawn yet."""
        wait_for(lambda: alice.page.evaluate(f"""() => {{
            const message = window.switchboard.store.threads.get({group}).byId.get({message['id']});
            return {check};
        }}"""), what=check)

    press_on(alice, item.get_by_role("button", name="Reply to message"))
    assert bob_account.api("PATCH", f"/messages/{message['id']}", json={"body": "lunch at one?"}).status_code == 200
    received('message.body === "lunch at one?"')
    alice.page.mouse.up()
    expect(alice.page.locator("#reply-bar")).to_contain_text("lunch at one?")
    expect(item.locator(".message-body")).to_have_text("lunch at one?")
    alice.page.click("#reply-cancel")

    item.hover()
    thumbs = item.locator(".reaction[data-emoji='👍']")
    press_on(alice, thumbs)
    assert carol_account.api("POST", f"/messages/{message['id']}/reactions", json={"emoji": "🎉"}).status_code == 200
    received('message.reactions.some((reaction) => reaction.emoji === "🎉")')
    alice.page.mouse.up()
    expect(thumbs).to_have_text("👍 2")
    expect(thumbs).to_have_attribute("aria-pressed", "true")
    expect(item.locator(".reaction[data-emoji='🎉']")).to_have_text("🎉 1")
    assert_nothing_went_wrong(alice)


# (shown, wanted): dom.js morph makes the first the second, keeping the elements both have.
MORPHED = [
    ('<li class="a"><span>old</span></li>', '<li class="a"><span>new</span></li>'),
    ('<li class="a" data-x="1"><b>t</b></li>', '<li class="b" title="t"><b>t</b></li>'),
    ('<li><span>1</span></li>', '<li><span>1</span><span class="badge">2</span></li>'),
    ('<li><span>1</span><span class="badge">2</span>tail</li>', '<li><span>1</span></li>'),
    ('<li><span>1</span><i>2</i></li>', '<li><b>1</b><i>3</i></li>'),
    ('<li><span><em>deep</em> text</span></li>', '<li><span><em>deeper</em></span></li>'),
]


def test_morph_draws_what_is_wanted_and_keeps_the_elements_in_common(module_page):
    run = module_script_runner(module_page, """
      const { morph } = await import("/static/js/chat/dom.js");
      const parsed = (html) => {
        const template = document.createElement("template");
        template.innerHTML = html;
        return template.content.firstChild;
      };""")
    results = run(f"""return {json.dumps(MORPHED)}.map(([shownHtml, wantedHtml]) => {{
        const shown = parsed(shownHtml), firstChild = shown.firstChild;
        const result = morph(shown, parsed(wantedHtml));
        return [result === shown, result.outerHTML, result.firstChild === firstChild];
      }});""")
    assert [html for _, html, _ in results] == [wanted for _, wanted in MORPHED]
    assert all(kept for kept, _, _ in results)  # the entry itself is the one shown
    # Its first child stays the same element unless it became another kind (the <span> that is now <b>).
    assert [kept for _, _, kept in results] == [True, True, True, True, False, True]
