"""The chat page by keyboard, in Chromium (static/js/chat/keyboard.js, quick-switcher.js): Tab goes from the
conversation's header through one message to the composer, never through the messages' buttons (those are reached
with the arrow keys); Up in an empty composer edits one's last message (Enter saves the edit, Shift+Enter is a new
line); Esc closes every dialog of the page; editing, deleting or reacting to a message by keyboard leaves the focus
on it, and a message arriving leaves it on the entry of the conversation list it was on; Ctrl/Cmd+K opens the quick
switcher to jump to a conversation. Whatever the keyboard reaches shows a focus ring."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_nothing_went_wrong, group_with, open_as, post

pytestmark = [pytest.mark.browser, pytest.mark.integration]

FOCUSED = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  return { id: element.id, tag: element.tagName, message: Boolean(element.closest("li.message")),
           ring: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
           inActions: Boolean(element.closest(".message-actions")), isMessage: element.matches("li.message") };
}"""


def alice_in_a_group(chat_page, api_user, *lines: tuple[str, str]):
    """Alice's page open on a group with Bob, where each (who, text) of `lines` was posted."""
    alice, bob = api_user("key"), api_user("key")
    group = group_with(alice, bob)
    for who, text in lines:
        post(alice if who == "alice" else bob, group["id"], text)
    chat = open_as(chat_page, alice, group["id"])
    expect(chat.messages).to_have_count(len(lines))
    chat.bob = bob
    return chat


def test_tab_reaches_the_composer_before_any_message_action(chat_page, api_user):
    chat = alice_in_a_group(chat_page, api_user, *(("alice" if number % 2 else "bob", f"Message {number}")
                                                   for number in range(6)))
    chat.page.click("#conversation-title")  # the header: Tab starts from there
    visited = []
    for _ in range(30):
        chat.page.keyboard.press("Tab")
        focused = chat.page.evaluate(FOCUSED)
        visited.append(focused)
        if focused["id"] == "composer-input":
            break
    assert visited[-1]["id"] == "composer-input", visited
    inside = [focused for focused in visited if focused["message"]]
    assert len(inside) == 1 and inside[0]["isMessage"], visited  # one stop for all the messages
    assert not any(focused["inActions"] for focused in visited)
    assert all(focused["ring"] for focused in visited), visited  # where the keyboard is shows

    # Back (past the attach button) into the messages: the newest one, then Up to an older one
    # and Right into its buttons.
    for _ in range(5):
        chat.page.keyboard.press("Shift+Tab")
        if chat.page.evaluate(FOCUSED)["message"]:
            break
    newest = chat.page.locator("#message-list li.message").last
    expect(newest).to_be_focused()
    chat.page.keyboard.press("ArrowUp")
    older = chat.page.locator("#message-list li.message").nth(4)
    expect(older).to_be_focused()
    expect(older).to_contain_text("Message 4")
    for _ in range(6):  # through the sender's name and picture to the message's buttons
        chat.page.keyboard.press("ArrowRight")
        focused = chat.page.evaluate(FOCUSED)
        assert focused["message"] and not focused["isMessage"], focused
        if focused["inActions"]:
            break
    assert focused["inActions"]
    assert older.evaluate("(item) => item.contains(document.activeElement)")
    expect(older.locator(".message-actions")).to_have_css("opacity", "1")
    chat.page.keyboard.press("Escape")
    expect(older).to_be_focused()
    expect(chat.page.locator("#create-group-dialog")).to_be_hidden()
    assert_nothing_went_wrong(chat)


def test_up_in_an_empty_composer_edits_ones_last_message(chat_page, api_user):
    chat = alice_in_a_group(chat_page, api_user, ("alice", "My first"), ("alice", "My second"), ("bob", "Bob's answer"))

    chat.page.fill("#composer-input", "a draft")
    chat.page.press("#composer-input", "ArrowUp")  # not empty: the key moves the caret, nothing opens
    chat.page.fill("#composer-input", "")
    chat.page.press("#composer-input", "ArrowUp")
    expect(chat.page.locator("#edit-dialog")).to_be_visible()
    expect(chat.page.locator("#edit-input")).to_have_value("My second")
    chat.page.fill("#edit-input", "My second,")
    chat.page.press("#edit-input", "Shift+Enter")  # a new line, as in the composer
    chat.page.type("#edit-input", "edited")
    chat.page.press("#edit-input", "Enter")  # saves, as the composer sends
    expect(chat.page.locator("#edit-dialog")).to_be_hidden()
    expect(chat.message_with("edited")).to_be_visible()
    assert chat.page.locator("#edit-input").input_value() == "My second,\nedited"
    expect(chat.page.locator("#composer-input")).to_have_value("")
    chat.page.fill("#composer-input", "")
    chat.page.press("#composer-input", "ArrowUp")
    chat.page.fill("#edit-input", "My second, edited again")
    chat.page.locator("#edit-form button[type=submit]").click()  # the button still saves
    expect(chat.message_with("My second, edited again")).to_be_visible()
    assert_nothing_went_wrong(chat)


def test_escape_closes_every_dialog(chat_page, api_user):
    chat = alice_in_a_group(chat_page, api_user, ("bob", "Report me"), ("alice", "Mine"))
    page = chat.page
    theirs, mine = chat.messages.first, chat.messages.last
    openers = {
        "create-group-dialog": lambda: page.click("#new-group-button"),
        "join-group-dialog": lambda: page.click("#join-group-button"),
        "direct-dialog": lambda: page.click("#new-direct-button"),
        "add-contact-dialog": lambda: page.click("#add-contact-button"),
        "profile-card": lambda: page.click("#me-avatar"),
        "members-dialog": lambda: page.click("#conversation-presence"),
        "report-dialog": lambda: (theirs.hover(), theirs.locator(".message-actions button", has_text="Report").click()),
        "edit-dialog": lambda: (mine.hover(), mine.locator(".edit-action").click()),
        "confirm-dialog": lambda: (mine.hover(), mine.locator(".message-actions button", has_text="Delete").click()),
        "quick-switcher": lambda: page.keyboard.press("Control+k"),
        "emoji-picker": lambda: page.click("#emoji-button"),  # a popup with role=dialog, not a <dialog>
    }
    for dialog_id, open_it in openers.items():
        open_it()
        dialog = page.locator(f"#{dialog_id}")
        expect(dialog).to_be_visible()
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
    # The dialogs the page opens only with a file (the image viewer) or a state the test does not
    # build, opened as their code does (showModal) or not modally (show): Esc closes each too.
    others = [name for name in page.eval_on_selector_all("dialog", "dialogs => dialogs.map((d) => d.id)")
              if name not in openers]
    for dialog_id in others:
        for how in ("showModal", "show"):
            page.evaluate(f"document.getElementById('{dialog_id}').{how}()")
            expect(page.locator(f"#{dialog_id}")).to_have_attribute("open", "")
            page.keyboard.press("Escape")
            expect(page.locator(f"#{dialog_id}")).not_to_have_attribute("open", "")
    expect(chat.message_with("Mine")).to_be_visible()  # the confirm dialog's Esc deleted nothing
    assert_nothing_went_wrong(chat)


def test_control_k_jumps_to_a_conversation_by_name(chat_page, api_user):
    alice, bob = api_user("qs"), api_user("qs")
    tag = uuid.uuid4().hex[:4]
    alpha = group_with(alice, bob, name=f"Alpha {tag}")
    beta = group_with(alice, bob, name=f"Beta {tag}")
    post(bob, alpha["id"], "In alpha")
    post(bob, beta["id"], "In beta")
    chat = chat_page()
    chat.log_in(alice.username)
    expect(chat.conversation(beta["id"])).to_be_visible()

    chat.page.keyboard.press("Control+k")
    expect(chat.page.locator("#quick-switcher-input")).to_be_focused()
    chat.page.keyboard.type("bet")
    options = chat.page.locator("#quick-switcher-results [role=option]")
    expect(options).to_have_count(1)
    expect(options.first).to_have_text(f"Beta {tag}")
    chat.page.keyboard.press("Enter")
    expect(chat.page.locator("#quick-switcher")).to_be_hidden()
    expect(chat.page.locator("#conversation-title")).to_have_text(f"Beta {tag}")
    expect(chat.message_with("In beta")).to_be_visible()

    # Meta+K (the Mac's Cmd) too; Down chooses the next match.
    chat.page.keyboard.press("Meta+k")
    chat.page.keyboard.type(tag)
    expect(options).to_have_count(2)
    expect(options.first).to_have_attribute("aria-selected", "true")
    chat.page.keyboard.press("ArrowDown")
    chosen = options.nth(1)
    expect(chosen).to_have_attribute("aria-selected", "true")
    chosen_title = chosen.inner_text()
    chat.page.keyboard.press("Enter")
    expect(chat.page.locator("#conversation-title")).to_have_text(chosen_title)

    chat.page.keyboard.press("Control+k")
    chat.page.keyboard.type("nothing like it")
    expect(chat.page.locator("#quick-switcher-results .result-empty")).to_have_text("No conversation matches.")
    chat.page.keyboard.press("Enter")  # no match: stays open, opens nothing
    expect(chat.page.locator("#quick-switcher")).to_be_visible()
    chat.page.keyboard.press("Escape")
    expect(chat.page.locator("#conversation-title")).to_have_text(chosen_title)
    assert_nothing_went_wrong(chat)


def test_a_direct_chat_is_found_by_the_name_it_shows(chat_page, api_user):
    """A direct chat shows the other person's newest name (user:updated); the quick switcher lists it
    under that name and finds it by it, as the sidebar's filter does."""
    alice, bob = api_user("qs"), api_user("qs")
    direct = alice.api("POST", "/direct", json={"user_id": bob.id}).json()["conversation"]
    chat = chat_page()
    chat.log_in(alice.username)
    entry = chat.conversation(direct["id"])
    expect(entry).to_be_visible()
    new_name = f"Robin {uuid.uuid4().hex[:6]}"
    assert bob.api("PATCH", "/me", json={"display_name": new_name}).status_code == 200
    expect(entry.locator(".conversation-title")).to_have_text(new_name)  # the sidebar follows live

    chat.page.keyboard.press("Control+k")
    chat.page.keyboard.type(new_name)
    options = chat.page.locator("#quick-switcher-results [role=option]")
    expect(options).to_have_text([new_name])
    chat.page.keyboard.press("Escape")
    chat.page.fill("#conversation-filter", new_name)
    expect(chat.page.locator("#conversation-list .conversation")).to_have_count(1)
    expect(entry).to_be_visible()
    assert_nothing_went_wrong(chat)


def test_escape_closes_a_search_dialog_at_once_even_with_text_typed(chat_page, api_user):
    """In a search box Chromium's Esc first clears the text; in a dialog one Esc closes the dialog."""
    chat = alice_in_a_group(chat_page, api_user)
    page = chat.page
    searches = {
        "join-group-dialog": ("#join-group-button", "#group-search"),
        "direct-dialog": ("#new-direct-button", "#user-search"),
        "group-panel": ("#group-info-button", "#group-add-search"),  # Alice made the group: she adds people
        "emoji-picker": ("#emoji-button", "#emoji-search"),
    }
    for dialog_id, (opener, box) in searches.items():
        page.click(opener)
        dialog = page.locator(f"#{dialog_id}")
        expect(dialog).to_be_visible()
        page.fill(box, "somebody")
        page.focus(box)
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
    assert_nothing_went_wrong(chat)


def press_on_action(chat, message, name: str) -> None:
    """Focus `message` and go Right through its controls to the one named `name`, then press Enter."""
    message.focus()
    for _ in range(10):
        chat.page.keyboard.press("ArrowRight")
        if chat.page.evaluate("document.activeElement.textContent") == name:
            break
    assert chat.page.evaluate("document.activeElement.textContent") == name
    chat.page.keyboard.press("Enter")


def test_the_keyboard_stays_on_a_message_it_changed(chat_page, api_user):
    """Editing, deleting or reacting to a message draws it anew: the focus that was on it (or on the dialog
    its Edit or Delete opened) comes back to the message, not to the page's body where a screen reader or a
    keyboard user has to start again from the top."""
    chat = alice_in_a_group(chat_page, api_user, ("bob", "Bob's line"), ("alice", "Edit me"),
                            ("alice", "Delete me"))
    page = chat.page
    bobs, edited, deleted = chat.messages.nth(0), chat.messages.nth(1), chat.messages.nth(2)

    press_on_action(chat, edited, "Edit")
    expect(page.locator("#edit-dialog")).to_be_visible()
    page.keyboard.press("End")
    page.keyboard.type(", edited")
    page.keyboard.press("Enter")
    expect(page.locator("#edit-dialog")).to_be_hidden()
    expect(chat.message_with("Edit me, edited")).to_be_visible()
    expect(chat.messages.nth(1)).to_be_focused()

    press_on_action(chat, deleted, "Delete")
    expect(page.locator("#confirm-button")).to_be_visible()
    page.focus("#confirm-button")
    page.keyboard.press("Enter")
    expect(chat.messages.nth(2).locator(".removed-note")).to_be_visible()
    expect(chat.messages.nth(2)).to_be_focused()

    press_on_action(chat, bobs, "React")
    for _ in range(10):  # Right on into the row of quick reactions it opened
        page.keyboard.press("ArrowRight")
        if page.evaluate("document.activeElement.getAttribute('role')") == "menuitem":
            break
    page.keyboard.press("Enter")
    expect(chat.messages.nth(0).locator(".reaction")).to_be_visible()
    expect(chat.messages.nth(0)).to_be_focused()

    # Someone else's change to the message it is on keeps it there too; where it is elsewhere, a change
    # takes it nowhere.
    bob = chat.bob
    bobs_id = int(bobs.get_attribute("data-id"))
    assert bob.api("POST", f"/messages/{bobs_id}/reactions", json={"emoji": "🎉"}).status_code == 200
    expect(chat.messages.nth(0).locator(".reaction")).to_have_count(2)
    expect(chat.messages.nth(0)).to_be_focused()
    page.focus("#composer-input")
    assert bob.api("POST", f"/messages/{bobs_id}/reactions", json={"emoji": "😂"}).status_code == 200
    expect(chat.messages.nth(0).locator(".reaction")).to_have_count(3)
    expect(page.locator("#composer-input")).to_be_focused()
    assert_nothing_went_wrong(chat)


def test_the_keyboard_stays_on_a_conversation_of_the_list_as_messages_come(chat_page, api_user):
    """The conversation list is drawn anew at every message, receipt or read: the focus on one of its entries
    stays on that entry (as it moves to the top), where it fell to the page's body and a keyboard user
    going down the list was taken out of it."""
    alice, bob = api_user("kl"), api_user("kl")
    tag = uuid.uuid4().hex[:4]
    first = group_with(alice, bob, name=f"First {tag}")
    second = group_with(alice, bob, name=f"Second {tag}")
    post(bob, first["id"], "Hello")
    chat = chat_page()
    chat.log_in(alice.username)
    entry = chat.conversation(first["id"]).locator("button")
    entry.focus()
    post(bob, second["id"], "Now here")
    expect(chat.conversation(second["id"]).locator(".conversation-preview")).to_contain_text("Now here")
    expect(entry).to_be_focused()
    chat.conversation(second["id"]).locator("button").focus()
    post(bob, second["id"], "And again")
    expect(chat.conversation(second["id"]).locator(".conversation-preview")).to_contain_text("And again")
    expect(chat.conversation(second["id"]).locator("button")).to_be_focused()
    chat.page.keyboard.press("Enter")  # opens it, as a click does
    expect(chat.page.locator("#conversation-title")).to_have_text(f"Second {tag}")
    assert_nothing_went_wrong(chat)


def test_react_opens_its_row_of_reactions_under_the_keyboard(chat_page, api_user):
    """React (aria-expanded) opens a menu of quick reactions: the focus goes into it, Right and Left go along it,
    and Esc closes it back onto React, where the menu's items came after every other button of the message."""
    chat = alice_in_a_group(chat_page, api_user, ("bob", "React to this"))
    page = chat.page
    message = chat.messages.first
    press_on_action(chat, message, "React")
    items = message.locator(".reaction-picker [role=menuitem]")
    expect(items.first).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(items.nth(1)).to_be_focused()
    page.keyboard.press("Escape")
    expect(message.locator(".reaction-picker")).to_have_count(0)
    react = message.get_by_role("button", name="React to message")
    expect(react).to_be_focused()
    expect(react).to_have_attribute("aria-expanded", "false")
    press_on_action(chat, message, "React")
    page.keyboard.press("Enter")  # the first reaction
    expect(message.locator(".reaction")).to_have_count(1)
    assert_nothing_went_wrong(chat)


def test_skip_links_and_f6_go_between_the_regions_of_the_page(chat_page, api_user):
    """The first Tab stops of the page are two skip links, out of sight until focused: to the message box and to
    the messages. F6 goes from region to region (the conversation list, the messages, the composer) and round,
    Shift+F6 back, as in Slack and Mattermost; the browser's own F6 (its address bar) does not take the key.
    With no conversation open both skip links and F6 go to the conversation list; a modal dialog keeps F6."""
    chat = alice_in_a_group(chat_page, api_user, ("bob", "First"), ("bob", "Second"), ("alice", "Third"))
    page = chat.page
    first_stops = page.evaluate("""() => [...document.querySelectorAll("a[href], button, input, textarea, [tabindex]")]
        .filter((element) => element.tabIndex >= 0 && element.getClientRects().length)
        .slice(0, 2).map((element) => element.className)""")
    assert first_stops == ["skip-link", "skip-link"]
    to_box, to_messages = page.locator(".skip-link").nth(0), page.locator(".skip-link").nth(1)
    assert to_box.bounding_box()["width"] <= 1  # out of sight
    to_box.focus()
    expect(to_box).to_have_text("Skip to the message box")
    box = to_box.bounding_box()
    assert box["width"] > 50 and box["height"] > 10 and box["y"] >= 0  # seen where the keyboard is
    assert page.evaluate(FOCUSED)["ring"]
    page.keyboard.press("Tab")
    expect(to_messages).to_be_focused()
    expect(to_messages).to_have_text("Skip to the messages")
    assert to_box.bounding_box()["width"] <= 1
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#composer-input")).to_be_focused()
    to_messages.focus()
    page.keyboard.press("Enter")
    newest = chat.messages.last
    expect(newest).to_be_focused()

    # F6 round the regions from the messages: the composer, the list (on the open conversation), the messages.
    page.keyboard.press("F6")
    expect(page.locator("#composer-input")).to_be_focused()
    page.keyboard.press("F6")
    expect(chat.page.locator("#conversation-list .conversation-button[aria-current='true']")).to_be_focused()
    page.keyboard.press("F6")
    expect(newest).to_be_focused()
    page.keyboard.press("ArrowUp")  # the messages' Tab stop moves: F6 comes back to it
    older = chat.messages.nth(1)
    expect(older).to_be_focused()
    page.keyboard.press("Shift+F6")
    expect(chat.page.locator("#conversation-list .conversation-button[aria-current='true']")).to_be_focused()
    page.keyboard.press("Shift+F6")
    expect(page.locator("#composer-input")).to_be_focused()
    page.keyboard.press("Shift+F6")
    expect(older).to_be_focused()
    page.locator("#conversation-title").focus()  # outside every region: F6 goes to the next one, Shift+F6 back
    page.keyboard.press("F6")
    expect(older).to_be_focused()
    page.locator("#conversation-title").focus()
    page.keyboard.press("Shift+F6")
    expect(chat.page.locator("#conversation-list .conversation-button[aria-current='true']")).to_be_focused()

    page.keyboard.press("Control+k")  # a modal dialog keeps the focus
    expect(page.locator("#quick-switcher-input")).to_be_focused()
    page.keyboard.press("F6")
    expect(page.locator("#quick-switcher-input")).to_be_focused()
    page.keyboard.press("Escape")

    page.locator("#back-button").evaluate("(button) => button.click()")  # no conversation open
    expect(page.locator("#conversation-view")).to_be_hidden()
    page.locator(".skip-link").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#conversation-list .conversation-button").first).to_be_focused()
    page.locator("#settings-link").focus()
    page.keyboard.press("F6")
    expect(page.locator("#conversation-list .conversation-button").first).to_be_focused()
    assert_nothing_went_wrong(chat)


def test_the_pictures_that_are_buttons_open_their_card_with_enter_and_space(chat_page, api_user):
    """One's own picture (the sidebar's) and a direct chat's header picture are buttons (role=button, a Tab stop):
    Enter and Space open the person's card, as for any button and as the messages' pictures do (they did nothing
    for one's own, and Space nothing for the header's)."""
    alice, bob = api_user("key"), api_user("key")
    direct = alice.api("POST", "/direct", json={"user_id": bob.id}).json()["conversation"]
    chat = open_as(chat_page, alice, direct["id"])
    page, card = chat.page, chat.page.locator("#profile-card")
    for picture, name in (("#me-avatar", alice.username), ("#conversation-avatar", bob.username)):
        expect(page.locator(picture)).to_have_attribute("role", "button")
        for key in ("Enter", " "):
            page.locator(picture).focus()
            page.keyboard.press(key)
            expect(card).to_be_visible()
            expect(card.locator("#profile-card-name")).to_contain_text(name)
            page.keyboard.press("Escape")
            expect(card).to_be_hidden()
    assert_nothing_went_wrong(chat)


def test_a_groups_presence_line_opens_its_members_with_enter_and_space(chat_page, api_user):
    """The group header's '2 members, 1 online' is a button (role=button, a Tab stop): Enter and Space open the
    members' dialog (Space scrolled the page instead)."""
    chat = alice_in_a_group(chat_page, api_user, ("bob", "Hello"))
    page, line, members = chat.page, chat.page.locator("#conversation-presence"), chat.page.locator("#members-dialog")
    expect(line).to_have_attribute("role", "button")
    for key in ("Enter", " "):
        line.focus()
        page.keyboard.press(key)
        expect(members).to_be_visible()
        page.keyboard.press("Escape")
        expect(members).to_be_hidden()
    assert_nothing_went_wrong(chat)


def test_f6_is_left_to_an_input_method_composing_text(chat_page, api_user):
    """Japanese input methods turn the text being composed into hiragana with F6 (F7 katakana…), and Chromium
    hands the page that keydown ('F6', isComposing): it moved the focus to the next region, out of the
    composition. A real composition (CDP's Input.imeSetComposition) keeps F6; once committed F6 goes on."""
    chat = alice_in_a_group(chat_page, api_user, ("bob", "First"))
    page = chat.page
    composer = page.locator("#composer-input")
    composer.focus()
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.imeSetComposition", {"text": "にほん", "selectionStart": 3, "selectionEnd": 3})
    for kind in ("rawKeyDown", "keyUp"):
        cdp.send("Input.dispatchKeyEvent", {"type": kind, "key": "F6", "code": "F6", "windowsVirtualKeyCode": 117})
    page.keyboard.press("Shift")  # a marker: a later key the page has handled, so the F6 had its turn
    expect(composer).to_be_focused()
    cdp.send("Input.insertText", {"text": "日本"})  # the composition committed
    expect(composer).to_have_value("日本")
    page.keyboard.press("F6")
    expect(page.locator("#conversation-list .conversation-button[aria-current='true']")).to_be_focused()
    assert_nothing_went_wrong(chat)
