"""The theme in Chromium: chosen on /settings (light, dark, or the system's), kept in this browser's
cookie and written by the server into <html data-theme> of every page (settings, chat, login), so the
first paint already has it; "Follow the system" follows the device's prefers-color-scheme; the dark
theme keeps axe's contrast; a theme that does not exist is refused and changes nothing."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import axe_violations
from tests.browser.helpers import assert_nothing_went_wrong, group_with, post

pytestmark = [pytest.mark.browser, pytest.mark.integration]

DARK_TEXT = "rgb(233, 237, 239)"  # --text in the dark theme (static/css/app.css)
LIGHT_TEXT = "rgb(29, 35, 39)"


def page_colours(page) -> dict:
    page.wait_for_load_state()  # the stylesheet applied (before it, the meta color-scheme alone colours the page)
    return page.evaluate("""() => ({
        theme: document.documentElement.dataset.theme,
        scheme: getComputedStyle(document.documentElement).colorScheme,
        text: getComputedStyle(document.body).color,
    })""")


def choose(chat, theme: str) -> None:
    chat.page.goto(chat.base_url + "/settings")
    chat.page.check(f"#theme-{theme}")
    chat.page.click("#theme-save")
    expect(chat.page.locator(".flash.success")).to_have_text("Theme changed.")
    expect(chat.page.locator(f"#theme-{theme}")).to_be_checked()


def served_theme(chat, path: str) -> str:
    """What the server writes into the page's first bytes, with this browser's cookies."""
    html = chat.context.request.get(chat.base_url + path).text()
    return html.split('data-theme="', 1)[1].split('"', 1)[0]


def test_a_pinned_dark_theme_is_on_every_page_from_the_first_byte(chat_page, api_user):
    alice, bob = api_user("thm"), api_user("thm")
    group = group_with(alice, bob)
    post(bob, group["id"], "Evening")
    chat = chat_page()
    chat.page.emulate_media(color_scheme="light")  # the device says light: the choice wins
    chat.log_in(alice.username)
    assert page_colours(chat.page)["text"] == LIGHT_TEXT
    chat.page.click("#settings-link")
    chat.page.wait_for_url("**/settings")
    chat.page.check("#theme-dark")
    chat.page.click("#theme-save")
    expect(chat.page.locator(".flash.success")).to_have_text("Theme changed.")
    assert page_colours(chat.page) == {"theme": "dark", "scheme": "dark", "text": DARK_TEXT}
    assert served_theme(chat, "/") == "dark"

    chat.page.goto(chat.base_url + "/")
    chat.expect_state("online")
    chat.open(group["id"])
    assert page_colours(chat.page)["theme"] == "dark"
    assert chat.page.evaluate("getComputedStyle(document.querySelector('.pane-header')).backgroundColor") \
        == "rgb(32, 44, 51)"
    assert axe_violations(chat.page) == []

    chat.page.click("#logout-button")
    chat.page.wait_for_url("**/login**")
    assert page_colours(chat.page) == {"theme": "dark", "scheme": "dark", "text": DARK_TEXT}
    assert served_theme(chat, "/login") == "dark"
    assert_nothing_went_wrong(chat)


def test_following_the_system_and_a_refused_theme(chat_page, api_user):
    user = api_user("sys")
    chat = chat_page()
    chat.log_in(user.username)
    choose(chat, "light")
    chat.page.emulate_media(color_scheme="dark")
    assert page_colours(chat.page)["text"] == LIGHT_TEXT  # pinned light, whatever the device says

    choose(chat, "system")
    assert served_theme(chat, "/settings") == "system"
    assert page_colours(chat.page) == {"theme": "system", "scheme": "light dark", "text": DARK_TEXT}
    chat.page.emulate_media(color_scheme="light")
    assert page_colours(chat.page)["text"] == LIGHT_TEXT

    choose(chat, "dark")
    chat.page.evaluate("document.getElementById('theme-light').value = 'purple'")
    chat.page.check("#theme-light")
    chat.page.click("#theme-save")
    expect(chat.page.locator(".flash.error")).to_contain_text("theme must be one of: light, dark, system.")
    assert served_theme(chat, "/settings") == "dark"
    expect(chat.page.locator("#theme-dark")).to_be_checked()
    assert_nothing_went_wrong(chat)
