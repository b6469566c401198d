"""axe-core in Chromium on the main screens: the chat page has no violation of any impact, minor ones
included (every content in a landmark, no decorative picture that is a button), in its main states (no
conversation open, a group and a direct chat open, each dialog, the quick switcher, a skip link focused,
a phone's width, the search's results, a message waiting to go); the login and registration pages, an
error page, the settings page and the back office's dashboard have no serious
or critical violation (contrast of 4.5:1 for text, names and roles for every control, the page's
language…), in the light theme and in the dark one (the system's, followed by default); so have the
back office's moderation queue and its lists of users and messages. A screen reader hears new messages once
(not the history), whose each message is and its ticks; the search's results and a message waiting
to go have no serious violation either."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import EVERY, axe_violations
from tests.browser.conftest import PASSWORD
from tests.browser.helpers import assert_nothing_went_wrong, group_with, open_as, post
from tests.files.samples import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_account_pages_have_no_serious_violations(chat_page, scheme):
    visitor = chat_page()
    visitor.page.emulate_media(color_scheme=scheme)
    for path in ("/login", "/register"):
        visitor.page.goto(visitor.base_url + path)
        assert axe_violations(visitor.page) == [], path
    assert_nothing_went_wrong(visitor)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_chat_has_no_violations_and_settings_no_serious_ones(chat_page, api_user, scheme):
    alice, bob = api_user("axa"), api_user("axb")
    group = group_with(alice, bob)
    post(bob, group["id"], "A long line to read " * 12)
    answer = post(alice, group["id"], "My answer")
    post(bob, group["id"], "And the unread one")
    assert bob.api("POST", f"/messages/{answer['id']}/reactions", json={"emoji": "👍"}).ok  # shows "👍 1"
    post(bob, group_with(alice, bob)["id"], "Unread elsewhere")  # an unread badge in the list
    picture = {"file": ("pic.png", png_bytes(), "image/png")}
    upload = bob.api("POST", f"/conversations/{group['id']}/files", files=picture)
    assert bob.api("POST", f"/conversations/{group['id']}/messages", json={  # a picture with its name and size
        "body": "", "client_id": uuid.uuid4().hex, "attachment_id": upload.json()["attachment"]["id"]}).ok
    direct = alice.api("POST", "/direct", json={"user_id": bob.id}).json()["conversation"]
    chat = chat_page()
    chat.page.emulate_media(color_scheme=scheme)
    chat.log_in(alice.username)
    expect(chat.page.locator("#conversation-list .conversation")).to_have_count(3)
    assert axe_violations(chat.page, EVERY) == [], "no conversation open"
    chat.open(direct["id"])  # its header's picture opens Bob's card
    expect(chat.page.locator("#conversation-avatar")).to_be_visible()
    assert axe_violations(chat.page, EVERY) == [], "a direct chat"
    chat.open(group["id"])
    expect(chat.message_with("And the unread one")).to_be_visible()
    expect(chat.page.locator("#message-list img.attachment-image")).to_be_visible()
    assert axe_violations(chat.page, EVERY) == []
    expect(chat.page.get_by_role("heading", level=1)).to_have_text("Switchboard")  # for heading navigation
    chat.page.locator(".skip-link").first.focus()
    assert axe_violations(chat.page, EVERY) == [], "a skip link shown"

    # The dialogs: each as it is open, over the page (axe reads the modal and what is left inert).
    for opener, dialog in (("#new-group-button", "#create-group-dialog"), ("#group-info-button", "#group-panel"),
                           ("#me-avatar", "#profile-card")):
        chat.page.click(opener)
        expect(chat.page.locator(dialog)).to_be_visible()
        assert axe_violations(chat.page, EVERY) == [], dialog
        chat.page.keyboard.press("Escape")
        expect(chat.page.locator(dialog)).to_be_hidden()
    chat.page.keyboard.press("Control+k")
    expect(chat.page.locator("#quick-switcher")).to_be_visible()
    assert axe_violations(chat.page, EVERY) == [], "the quick switcher"
    chat.page.keyboard.press("Escape")

    chat.page.set_viewport_size({"width": 360, "height": 740})  # a phone: one pane at a time
    assert axe_violations(chat.page, EVERY) == [], "a phone, the conversation"
    chat.page.click("#back-button")
    expect(chat.page.locator("#conversation-list")).to_be_visible()
    assert axe_violations(chat.page, EVERY) == [], "a phone, the list"
    chat.page.set_viewport_size({"width": 1280, "height": 720})

    chat.page.goto(chat.base_url + "/no-such-page")  # the error page (blueprints/errors.py)
    expect(chat.page.locator("#error-back")).to_be_visible()
    assert axe_violations(chat.page) == []

    chat.page.goto(chat.base_url + "/settings")
    assert axe_violations(chat.page) == []
    chat.page.check(f"#theme-{scheme}")  # a flashed message over the page: live regions, one holding a list
    chat.page.click("#theme-save")
    expect(chat.page.locator(".flashes > [role=status] .flash.success")).to_have_text("Theme changed.")
    assert axe_violations(chat.page) == [], "a flashed message"
    assert_nothing_went_wrong(chat)


def test_back_office_dashboard_and_queue_have_no_serious_violations(chat_page, api_user, operator):
    # The dashboard's every part has a row: a group with messages, and a suspended user, whose link
    # stands beside the words of the badge "suspended until ..." (a link among text).
    alice, bob = api_user("axo"), api_user("axs")
    post(alice, group_with(alice, bob)["id"], "busy group")
    operator.admin_api(f"/users/{bob.id}/suspend", {"until": "2099-03-01T12:00:00Z", "reason": "spam"}, status=200)
    office = chat_page()
    office.page.goto(office.base_url + "/login")
    office.page.fill("#username", operator.username)
    office.page.fill("#password", PASSWORD)
    office.page.click("#login-form button[type=submit]")
    office.page.goto(office.base_url + "/admin/")
    expect(office.page.locator("#dashboard-numbers")).to_be_visible()
    expect(office.page.locator("#recently-deactivated .badge").first).to_be_visible()
    assert axe_violations(office.page) == []
    for path in ("/admin/report/", "/admin/user/", "/admin/message/"):  # the moderation queue, two lists
        office.page.goto(office.base_url + path)
        assert axe_violations(office.page) == [], path
    assert_nothing_went_wrong(office)


# The polite live regions of the page (aria-live, or a role that implies it) and what each says now.
LIVE_REGIONS = """() => [...document.querySelectorAll(
    '[aria-live]:not([aria-live="off"]), [role="log"], [role="status"], [role="alert"], [role="timer"]')]
  .map((region) => ({ id: region.id, text: region.textContent,
                      messages: region.querySelectorAll("li.message").length }))"""


def test_a_screen_reader_hears_a_new_message_not_the_history(chat_page, api_user):
    """A new message from someone else in the open conversation is said once, by a polite live region
    (who wrote it and what); opening a conversation, loading its history or one's own sending reads
    nothing out: the list of messages is no live region, which would read the whole history anew at
    each conversation opened, each page of older messages and each message drawn again."""
    alice, bob = api_user("sra"), api_user("srb")
    group = group_with(alice, bob)
    for number in range(3):
        post(bob, group["id"], f"Old news {number}")
    chat = open_as(chat_page, alice, group["id"])
    expect(chat.messages).to_have_count(3)
    regions = chat.page.evaluate(LIVE_REGIONS)
    assert [region for region in regions if region["messages"] or "Old news" in region["text"]] == [], regions

    post(bob, group["id"], "Fresh news")
    expect(chat.message_with("Fresh news")).to_be_visible()
    said = [region for region in chat.page.evaluate(LIVE_REGIONS) if "Fresh news" in region["text"]]
    assert [region["text"] for region in said] == [f"{bob.username}: Fresh news"], said
    assert all(region["messages"] == 0 for region in said)

    chat.type_and_send("My own words")
    expect(chat.message_with("My own words")).to_be_visible()
    regions = chat.page.evaluate(LIVE_REGIONS)
    assert not any("My own words" in region["text"] for region in regions), regions
    assert_nothing_went_wrong(chat)


def test_a_screen_reader_hears_whose_each_message_is_and_its_ticks(chat_page, api_user):
    """A run of one sender's messages shows the name on the first only; a screen reader going from message
    to message still hears whose each is (the name is hidden from sight, not from it, and shows when the
    keyboard reaches it). One's ticks are said as Sent, Delivered or Read, where it heard "check mark" for
    each: the grey and the blue ✓✓ differ only by colour."""
    alice, bob = api_user("srw"), api_user("srw")
    group = group_with(alice, bob)
    post(bob, group["id"], "First of a run")
    post(bob, group["id"], "Second of a run")
    chat = open_as(chat_page, alice, group["id"])
    expect(chat.messages).to_have_count(2)
    second = chat.messages.nth(1)
    expect(second).to_have_class(re.compile(r"\bcontinued\b"))
    assert bob.username in second.aria_snapshot()
    name = second.locator(".message-sender")
    assert name.bounding_box()["width"] <= 1  # out of sight
    second.focus()
    chat.page.keyboard.press("ArrowRight")
    expect(name).to_be_focused()
    assert name.bounding_box()["width"] > 10  # on screen where the keyboard is
    chat.page.keyboard.press("ArrowRight")  # on to the message's buttons (the picture kept out of sight is passed)
    expect(second.get_by_role("button", name="Reply to message")).to_be_focused()

    chat.type_and_send("Mine, one")
    chat.type_and_send("Mine, two")
    expect(chat.messages).to_have_count(4)
    mine = chat.messages.nth(3)
    expect(mine).to_have_class(re.compile(r"\bcontinued\b"))
    expect(mine.get_by_role("img", name=re.compile("^(Sent|Delivered)$"))).to_be_visible()
    assert "You" in mine.aria_snapshot()
    assert bob.api("POST", f"/conversations/{group['id']}/read", json={"seq": int(mine.get_attribute("data-seq"))}).ok
    expect(mine.get_by_role("img", name="Read")).to_be_visible()
    assert_nothing_went_wrong(chat)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_message_search_results_and_a_message_waiting_to_go_have_no_violations(chat_page, api_user, scheme):
    """The search's results are a list of buttons (each a list item holding a real button, which Space and
    Enter press; an item that was itself role=button broke the list), and a message waiting in the outbox
    while offline keeps its "sending…" note readable (its dimmed bubble put it at 3:1)."""
    alice, bob = api_user("axq"), api_user("axq")
    group = group_with(alice, bob)
    target = post(bob, group["id"], "a findable banana")
    post(bob, group["id"], "later words")
    chat = open_as(chat_page, alice, group["id"])
    chat.page.emulate_media(color_scheme=scheme)
    chat.page.fill("#message-search", "banana")
    chat.page.press("#message-search", "Enter")
    result = chat.page.locator("#message-search-results .search-result").first
    expect(result).to_contain_text("a findable banana")
    assert axe_violations(chat.page, EVERY) == []
    result.get_by_role("button").focus()
    chat.page.keyboard.press(" ")
    expect(chat.page.locator(f"#message-list .message[data-id='{target['id']}']")).to_have_class(re.compile("flash"))

    chat.context.set_offline(True)
    chat.expect_state("offline")
    chat.type_and_send("while offline")
    expect(chat.page.locator("#pending-list .message")).to_contain_text("while offline")
    assert axe_violations(chat.page, EVERY) == []
    chat.context.set_offline(False)
    expect(chat.message_with("while offline")).to_be_visible()
    assert_nothing_went_wrong(chat)
