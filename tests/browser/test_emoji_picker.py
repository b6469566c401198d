"""The composer's emoji picker (issue 8): emojibase's data served from static/vendor, a search
and categories, the choice inserted at the caret, keyboard all the way (arrows, Enter, Esc back to
the text), and the message with it arriving for the other person."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import axe_violations
from tests.browser.helpers import assert_nothing_went_wrong, group_with, two_in_a_group

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def caret(chat) -> int:
    return chat.page.locator("#composer-input").evaluate("input => input.selectionStart")


def test_emoji_go_in_at_the_caret_from_the_keyboard_and_arrive(chat_page, api_user):
    _, _, group, alice, bob = two_in_a_group(chat_page, api_user)
    picker = alice.page.locator("#emoji-picker")
    composer = alice.page.locator("#composer-input")
    composer.fill("Hello world")
    composer.evaluate("input => input.setSelectionRange(5, 5)")

    # From the text, Shift+Tab reaches the picker's button; Enter opens it with the focus in its search.
    alice.page.keyboard.press("Shift+Tab")
    expect(alice.page.locator("#emoji-button")).to_be_focused()
    alice.page.keyboard.press("Enter")
    expect(picker).to_be_visible()
    expect(alice.page.locator("#emoji-button")).to_have_attribute("aria-expanded", "true")
    expect(alice.page.locator("#emoji-search")).to_be_focused()
    expect(picker.locator(".emoji").first).to_have_attribute("aria-label", "grinning face")
    assert axe_violations(alice.page) == []  # every control named, contrast, roles: as the page's other parts

    alice.page.keyboard.type("grinning face")
    expect(picker.locator(".emoji").first).to_have_text("😀")
    alice.page.screenshot(path="/tmp/emoji-picker.png")
    alice.page.keyboard.press("ArrowDown")
    expect(picker.locator(".emoji").first).to_be_focused()
    alice.page.keyboard.press("Enter")
    alice.page.keyboard.press("ArrowRight")
    expect(picker.locator(".emoji").nth(1)).to_be_focused()
    second = picker.locator(".emoji").nth(1).text_content()
    alice.page.keyboard.press("Space")
    expect(composer).to_have_value(f"Hello😀{second} world")

    # Esc closes the picker only and puts the focus back in the text, the caret after the emoji.
    alice.page.keyboard.press("Escape")
    expect(picker).to_be_hidden()
    expect(composer).to_be_focused()
    assert caret(alice) == len("Hello😀".encode("utf-16-le")) // 2 + len(second.encode("utf-16-le")) // 2
    alice.page.keyboard.press("Enter")
    expect(bob.messages.last.locator(".message-body")).to_have_text(f"Hello😀{second} world")

    # Categories: Flags shows flags; a click inserts; a click elsewhere closes the picker.
    alice.page.click("#emoji-button")
    alice.page.get_by_role("button", name="Flags", exact=True).click()
    expect(alice.page.get_by_role("button", name="Flags", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(picker.locator(".emoji").first).to_have_text("🏁")
    picker.locator(".emoji").first.click()
    expect(composer).to_have_value("🏁")
    alice.page.click("#message-scroller")
    expect(picker).to_be_hidden()

    # A search that finds nothing says so.
    alice.page.click("#emoji-button")
    alice.page.fill("#emoji-search", "no such emoji anywhere")
    expect(alice.page.locator("#emoji-status")).to_have_text("No emoji found.")
    expect(picker.locator(".emoji")).to_have_count(0)
    alice.page.keyboard.press("Escape")
    expect(picker).to_be_hidden()
    assert_nothing_went_wrong(alice, bob)



def test_a_chinese_page_names_and_finds_emoji_in_chinese(chat_page, api_user):
    account = api_user("zh")
    group = group_with(account)["id"]
    chinese = chat_page()
    chinese.context.set_extra_http_headers({"Accept-Language": "zh-CN"})  # the page's language follows
    chinese.log_in(account.username)
    chinese.open(group)
    chinese.page.click("#emoji-button")
    picker = chinese.page.locator("#emoji-picker")
    expect(picker).to_have_attribute("aria-label", "表情")
    expect(picker.locator(".emoji-tab").first).to_have_attribute("aria-label", "笑脸与情感")
    expect(picker.locator(".emoji").first).to_have_attribute("aria-label", "嘿嘿")  # emojibase's zh data
    chinese.page.fill("#emoji-search", "猫")
    expect(picker.locator(".emoji", has_text="🐈").first).to_be_visible()  # found by its Chinese name
    assert picker.locator(".emoji", has_text="🍔").count() == 0
    chinese.page.keyboard.press("ArrowDown")
    chinese.page.keyboard.press("Enter")
    expect(chinese.page.locator("#composer-input")).not_to_have_value("")
    assert_nothing_went_wrong(chinese)
