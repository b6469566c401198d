"""The chat page at phone widths, in Chromium: at 320 (WCAG's reflow width: 1280 px zoomed to 400%), 360
and 375 px no element is wider than the viewport (the DOM walked on the conversation list, in a conversation
and in each dialog), long previews end in an ellipsis, "Log out", "Join group" and the times are whole on
screen, one pane shows at a time (the conversation with a back button), by keyboard the focus goes from a
list entry to the opened conversation's title and back (also at 200% zoom), and under mobile emulation
(Playwright's iPhone 12 and Pixel 5 descriptors) the dialogs sit in the middle of the screen."""
from __future__ import annotations

import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, ChatPage, conversation_selector
from tests.browser.helpers import assert_nothing_went_wrong, group_with, post, record_csp_violations
from tests.conftest import DEVICES
from tests.servers import ChatUser

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# Every laid-out element whose box leaves the viewport on the left or right, named for the message
# (screen-reader-only text, clipped to 1 px, is not drawn: left out).
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const name = (element) => element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
    + (typeof element.className === "string" && element.className ? "." + element.className.split(" ").join(".") : "");
  return [...document.querySelectorAll("body *")].filter((element) => {
    const box = element.getBoundingClientRect();
    return box.width > 1 && box.height > 1 && (box.right > width + 0.5 || box.left < -0.5);
  }).map((element) => `${name(element)}: ${Math.round(element.getBoundingClientRect().left)}..`
    + `${Math.round(element.getBoundingClientRect().right)} of ${width}`);
}"""

LONG_NAME = "The neighbourhood gardening and seed-swapping society of the old river quarter"


def operator_user(operator) -> ChatUser:
    """The operator as a ChatUser (their bearer token): operators see one more header link ("Back office")."""
    me = requests.get(operator.url + "/api/me", headers=operator.headers, timeout=10).json()["user"]
    return ChatUser(operator.url, operator.username, operator.headers["Authorization"].split(" ", 1)[1], me["id"])


def busy_account(operator, api_user) -> tuple[ChatUser, dict]:
    """An operator in a long-named group whose last message is long, and in a direct chat."""
    owner, friend = operator_user(operator), api_user("ph")
    group = group_with(owner, friend, name=LONG_NAME)
    assert owner.api("POST", "/direct", json={"user_id": friend.id}).status_code in (200, 201)
    post(friend, group["id"], "https://example.org/" + "a-very-long-path-without-spaces-" * 8)
    post(friend, group["id"], "A long line of words that never ends on a small screen " * 6)
    return owner, group


def open_phone(browser, live_server, **context_options) -> ChatPage:
    context = browser.new_context(**context_options)
    context.set_default_timeout(15_000)
    chat = ChatPage(context.new_page(), context, live_server.url, csp_violations=record_csp_violations(context))
    chat.watch()
    return chat


def assert_fits(chat, where: str) -> None:
    assert chat.page.evaluate(OVERFLOWING) == [], where


def assert_whole_on_screen(locator) -> None:
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    width = locator.page.evaluate("document.documentElement.clientWidth")
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, box
    assert locator.evaluate("(element) => element.scrollWidth <= element.clientWidth + 1"), "cut off inside"


def assert_centred(dialog) -> None:
    box = dialog.bounding_box()
    width, height = dialog.page.evaluate("[document.documentElement.clientWidth, window.innerHeight]")
    assert abs(box["x"] - (width - box["x"] - box["width"])) <= 2, (box, width)
    assert box["y"] >= 0 and box["y"] + box["height"] <= height + 0.5, (box, height)


def assert_dialogs_fit(chat, *openers: tuple[str, str]) -> None:
    """Each (button, dialog): the button opens the dialog, which fits the screen in its middle; Esc closes it."""
    for opener, dialog in openers:
        chat.page.click(opener)
        expect(chat.page.locator(dialog)).to_be_visible()
        assert_fits(chat, dialog)
        assert_centred(chat.page.locator(dialog))
        chat.page.keyboard.press("Escape")
        expect(chat.page.locator(dialog)).to_be_hidden()


@pytest.mark.parametrize("width", [320, 360, 375])
def test_nothing_is_wider_than_a_phone(browser, live_server, operator, api_user, width):
    owner, group = busy_account(operator, api_user)
    chat = open_phone(browser, live_server, viewport={"width": width, "height": 740})
    chat.log_in(owner.username)
    row = chat.conversation(group["id"])
    expect(row.locator(".conversation-preview")).to_contain_text("A long line of words")

    # The list alone: its long preview ends in "…", the buttons and times are whole.
    expect(chat.page.locator("#pane")).to_be_hidden()
    assert_fits(chat, "the conversation list")
    preview = row.locator(".conversation-preview")
    # Waited for, as every expect() is: the row may be drawn again meanwhile (a presence or unread
    # change), and a row being replaced has no width yet. Times out if the preview never overflows.
    chat.page.wait_for_function(
        "(selector) => { const element = document.querySelector(selector);"
        " return element !== null && element.scrollWidth > element.clientWidth; }",
        arg=conversation_selector(group["id"]) + " .conversation-preview")
    expect(preview).to_have_css("text-overflow", "ellipsis")
    for control in ("#logout-button", "#join-group-button", "#settings-link", "#new-group-button"):
        assert_whole_on_screen(chat.page.locator(control))
    for time in chat.page.locator("#conversation-list .conversation-time:not(:empty)").all():
        assert_whole_on_screen(time)
    # The header's links do not squeeze one's name away or cover it.
    assert chat.page.locator(".me-name").evaluate("(name) => name.clientWidth") >= 60
    assert chat.page.evaluate("""() => {
      const parts = ".sidebar-header .me-text > *, .sidebar-header > a, .sidebar-header > form";
      const boxes = [...document.querySelectorAll(parts)].map((element) => element.getBoundingClientRect());
      return boxes.every((a, i) => boxes.every((b, j) => i === j || a.right <= b.left || b.right <= a.left
        || a.bottom <= b.top || b.bottom <= a.top));
    }"""), "the header's parts overlap"

    # Dialogs from the list.
    assert_dialogs_fit(chat, ("#new-group-button", "#create-group-dialog"),
                       ("#join-group-button", "#join-group-dialog"), ("#new-direct-button", "#direct-dialog"),
                       ("#me-avatar", "#profile-card"))

    # The conversation alone, with a way back.
    chat.open(group["id"])
    expect(chat.page.locator(".sidebar")).to_be_hidden()
    expect(chat.message_with("A long line of words")).to_be_visible()
    assert_fits(chat, "a conversation")
    assert_whole_on_screen(chat.page.locator("#send-button"))
    assert_dialogs_fit(chat, ("#conversation-presence", "#members-dialog"), ("#group-info-button", "#group-panel"))
    chat.page.click("#back-button")
    expect(chat.page.locator(".sidebar")).to_be_visible()
    expect(chat.page.locator("#pane")).to_be_hidden()
    assert_nothing_went_wrong(chat)


@pytest.mark.parametrize("device", ["iPhone 12", "Pixel 5"])
def test_dialogs_are_centred_under_mobile_emulation(browser, live_server, api_user, device):
    user = api_user("mob")
    descriptor = {key: value for key, value in DEVICES[device].items() if key != "default_browser_type"}
    assert descriptor["is_mobile"] and descriptor["has_touch"]
    chat = open_phone(browser, live_server, **descriptor)
    chat.log_in(user.username)
    group_name = f"Phone {uuid.uuid4().hex[:6]}"
    chat.page.tap("#new-group-button")
    dialog = chat.page.locator("#create-group-dialog")
    expect(dialog).to_be_visible()
    assert_fits(chat, "the create-group dialog")
    assert_centred(dialog)
    chat.page.fill("#group-name", group_name)
    chat.page.tap("#create-group-submit")
    expect(chat.page.locator("#conversation-title")).to_have_text(group_name)
    expect(chat.page.locator(".sidebar")).to_be_hidden()
    assert_fits(chat, "the new group")
    assert_whole_on_screen(chat.page.locator("#back-button"))
    chat.page.tap("#back-button")
    expect(chat.page.locator("#conversation-list .conversation", has_text=group_name)).to_be_visible()
    assert_nothing_went_wrong(chat)


def test_the_login_and_settings_pages_fit_a_phone(browser, live_server, api_user):
    user = api_user("set")
    chat = open_phone(browser, live_server, viewport={"width": 360, "height": 740})
    chat.page.goto(live_server.url + "/login")
    assert_fits(chat, "the login page")
    chat.page.fill("#username", user.username)
    chat.page.fill("#password", PASSWORD)
    chat.page.click("#login-form button[type=submit]")
    chat.expect_state("online")
    chat.page.click("#settings-link")
    chat.page.wait_for_url("**/settings")
    assert_fits(chat, "the settings page")
    assert_nothing_went_wrong(chat)


@pytest.mark.parametrize("width", [780, 860, 940])
def test_a_groups_header_keeps_its_name_and_buttons_between_phone_and_desktop(browser, live_server, operator,
                                                                              api_user, width):
    """A tablet, or half a laptop's screen: beside the conversation list the header has less room than
    its owner's four buttons take; the buttons go to a second line, the name stays readable."""
    owner, group = busy_account(operator, api_user)
    chat = open_phone(browser, live_server, viewport={"width": width, "height": 800})
    chat.log_in(owner.username)
    chat.open(group["id"])
    expect(chat.page.locator("#leave-button")).to_be_visible()
    assert chat.page.locator("#conversation-title").bounding_box()["width"] >= 100
    for button in ("#group-info-button", "#leave-button"):
        assert_whole_on_screen(chat.page.locator(button))
    assert_fits(chat, f"a group at {width} px")
    assert_nothing_went_wrong(chat)


@pytest.mark.parametrize("viewport", [{"width": 640, "height": 380}, {"width": 320, "height": 568}])
def test_the_keyboard_goes_between_the_list_and_a_conversation_on_a_narrow_screen(browser, live_server, api_user,
                                                                                   viewport):
    """Where one pane shows at a time (a phone, or a desktop window zoomed to 200%: 1280 px read as 640),
    opening a conversation from the list by keyboard hides the entry that had the focus, and the back button
    hides itself: the focus goes to the conversation's title, and back to its entry in the list, where it
    fell to the page's body and the next Tab started from the top of the page."""
    alice, bob = api_user("nk"), api_user("nk")
    group = group_with(alice, bob)
    post(bob, group["id"], "Hello there")
    chat = open_phone(browser, live_server, viewport=viewport)
    chat.log_in(alice.username)
    entry = chat.conversation(group["id"]).locator("button")
    entry.focus()
    chat.page.keyboard.press("Enter")
    expect(chat.message_with("Hello there")).to_be_visible()
    expect(chat.page.locator("#conversation-title")).to_be_focused()
    expect(chat.page.locator("#composer-input")).not_to_be_focused()  # no screen keyboard over the messages
    chat.page.focus("#back-button")
    chat.page.keyboard.press("Enter")
    expect(chat.page.locator("#pane")).to_be_hidden()
    expect(entry).to_be_focused()
    assert_nothing_went_wrong(chat)
