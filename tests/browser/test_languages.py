"""The interface's language in Chromium: a Chinese browser gets Chinese pages and can switch the
login page to English; choosing 简体中文 on /settings turns the chat page's scripts Chinese too
(its strings come from the catalogue on <body>, no inline script); no CSP violation, no page error."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ChatPage
from tests.browser.helpers import assert_nothing_went_wrong, group_with, post, record_csp_violations
from tests.files.samples import PDF_BYTES

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_choosing_chinese_on_settings_turns_the_chat_page_chinese(chat_page, api_user):
    user = api_user("lang")
    tab = chat_page()
    tab.log_in(user.username)
    expect(tab.page.locator("#connection-status")).to_have_text("Online")
    tab.page.click("#settings-link")
    tab.page.wait_for_url(re.compile(r"/settings$"))
    tab.page.select_option("#language-select", "zh_Hans_CN")
    tab.page.click("#language-save")
    expect(tab.page.locator("h1")).to_have_text("设置")
    expect(tab.page.locator(".flash.success")).to_have_text("语言已更改。")
    expect(tab.page.locator("html")).to_have_attribute("lang", "zh-Hans-CN")

    tab.page.click("#back-to-chat")
    tab.expect_state("online")
    expect(tab.page.locator("#connection-status")).to_have_text("在线")  # written by the script: t("Online")
    expect(tab.page.locator("#composer-input")).to_have_attribute("placeholder", "输入消息")
    tab.page.click("#new-group-button")
    expect(tab.page.locator("#create-group-dialog h3")).to_have_text("新群组")
    tab.page.fill("#group-name", "读书会")
    tab.page.click("#create-group-submit")
    expect(tab.page.locator("#conversation-subtitle")).to_have_text("公开群组 · 你")  # header.js, translated
    expect(tab.page.locator("#conversation-presence")).to_have_text("1 位成员，1 人在线")  # presence-view.js
    assert_nothing_went_wrong(tab)


def test_a_chinese_browser_reads_chinese_and_switches_the_login_page_to_english(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 760})
    try:
        violations = record_csp_violations(context)
        tab = ChatPage(context.new_page(), context, live_server.url, csp_violations=violations)
        tab.watch()
        tab.page.goto(live_server.url + "/login")
        expect(tab.page.locator("h1")).to_have_text("登录")
        expect(tab.page.locator("#qr-login-button")).to_have_text("扫码登录")
        tab.page.locator("#language-switch button", has_text="English").click()
        expect(tab.page.locator("h1")).to_have_text("Log in")
        expect(tab.page.locator("#language-switch button")).to_have_text("简体中文")
        tab.page.goto(live_server.url + "/register")
        expect(tab.page.locator("h1")).to_have_text("Create an account")  # the cookie wins over the browser
        assert_nothing_went_wrong(tab)
    finally:
        context.close()


def test_a_chinese_page_says_in_chinese_that_a_message_was_removed(chat_page, api_user, operator):
    """The thread and the sidebar's preview word a removed message alike (message-format.js removedText)."""
    alice_account, bob = api_user("zh"), api_user("bob")
    group = group_with(alice_account, bob)["id"]
    deleted, rude = post(bob, group, "soon deleted"), post(bob, group, "something rude")
    assert bob.api("DELETE", f"/messages/{deleted['id']}").ok
    alice = chat_page()
    alice.context.set_extra_http_headers({"Accept-Language": "zh-CN"})
    alice.log_in(alice_account.username)
    alice.open(group)
    expect(alice.messages.first.locator(".message-body")).to_have_text("消息已删除")

    operator.hide(rude["id"])  # the newest message: the thread and the sidebar's preview change live
    expect(alice.messages.last.locator(".message-body")).to_have_text("已被管理员移除")
    expect(alice.conversation(group).locator(".conversation-preview")).to_have_text("已被管理员移除")
    assert_nothing_went_wrong(alice)


def test_a_chinese_sidebar_says_in_chinese_that_a_file_was_removed(chat_page, api_user, operator):
    """A file an operator deleted leaves its message without a name: the sidebar's preview says so
    in the page's language (attachments.js's "File removed"), as the thread does."""
    alice_account, bob = api_user("zh"), api_user("bob")
    group = group_with(alice_account, bob)["id"]
    upload = bob.api("POST", f"/conversations/{group}/files",
                     files={"file": ("notes.pdf", PDF_BYTES, "application/pdf")})
    assert upload.status_code == 201, upload.text
    attachment_id = upload.json()["attachment"]["id"]
    sent = bob.api("POST", f"/conversations/{group}/messages",
                   json={"body": "", "client_id": uuid.uuid4().hex, "attachment_id": attachment_id})
    assert sent.status_code == 201, sent.text
    alice = chat_page()
    alice.context.set_extra_http_headers({"Accept-Language": "zh-CN"})
    alice.log_in(alice_account.username)
    preview = alice.conversation(group).locator(".conversation-preview")
    expect(preview).to_contain_text("notes.pdf")

    operator.delete_file(attachment_id)  # message:updated with the file "deleted": the preview follows live
    expect(preview).to_have_text(re.compile(r"文件已删除$"))
    assert_nothing_went_wrong(alice)


def test_a_chinese_page_counts_a_public_groups_members_in_chinese(chat_page, api_user):
    """The "Join group" dialog's results say how many are in each group in the page's language."""
    owner, visitor_account = api_user("own"), api_user("zh")
    name = f"Open house {uuid.uuid4().hex[:6]}"
    group = owner.api("POST", "/groups", json={"name": name, "visibility": "public"}).json()["conversation"]
    visitor = chat_page()
    visitor.context.set_extra_http_headers({"Accept-Language": "zh-CN"})
    visitor.log_in(visitor_account.username)
    visitor.page.click("#join-group-button")
    visitor.page.fill("#group-search", name)
    found = visitor.page.locator(f"#group-results .result[data-group-id='{group['id']}'] .muted")
    expect(found).to_have_text("1 位成员")
    assert_nothing_went_wrong(visitor)


def test_a_chinese_screen_reader_hears_unread_counts_and_reactions_in_chinese(chat_page, api_user):
    """What only a screen reader hears is in the page's language too: a conversation's unread badge (its
    label was the English "3 unread") and a reaction's name, which starts with what the button shows."""
    alice_account, bob = api_user("zh"), api_user("bob")
    group = group_with(alice_account, bob)["id"]
    for number in range(3):
        message = post(bob, group, f"unread {number}")
    assert bob.api("POST", f"/messages/{message['id']}/reactions", json={"emoji": "👍"}).ok
    alice = chat_page()
    alice.context.set_extra_http_headers({"Accept-Language": "zh-CN"})
    alice.log_in(alice_account.username)
    expect(alice.conversation(group).locator(".unread-badge")).to_have_attribute("aria-label", "3 条未读")
    alice.open(group)
    expect(alice.messages.last.locator(".reaction")).to_have_attribute("aria-label", f"👍 1，{bob.username} 回应了")
    assert_nothing_went_wrong(alice)
