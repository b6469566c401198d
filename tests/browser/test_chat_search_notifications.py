"""Search and notifications in a real browser against the real server (issue 9 D): the search box
finds the messages of the user's conversations only (Chinese two-character terms included), marks the
matched words as text (a body with HTML stays text), pages with "More results", and a click opens the
conversation at the message; Mute silences a conversation but for mentions and reaches the user's
other tab; browser notifications come only while the tab is hidden, asked for from a button, and
clicking one opens its conversation; the service worker is served at /sw.js."""
from __future__ import annotations

import json
import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.helpers import assert_nothing_went_wrong, group_with, post
from tests.helpers import push_keys

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# The page's Notification and document.hidden, observable: a tab in a test is never really hidden.
FAKE_NOTIFICATIONS = """
window.__hidden = false;
Object.defineProperty(document, "hidden", { get: () => window.__hidden });
window.__notifications = [];
window.Notification = class {
  static permission = "default";
  static requestPermission() { window.Notification.permission = "granted"; return Promise.resolve("granted"); }
  constructor(title, options) { this.title = title; this.options = options; window.__notifications.push(this); }
  close() {}
};
"""


def test_search_box_finds_marks_pages_and_jumps(chat_page, api_user):
    alice_account, bob, eve = api_user("al"), api_user("bob"), api_user("eve")
    group = group_with(alice_account, bob)["id"]
    target = post(bob, group, "<b>你好</b>世界 meeting")
    for number in range(60):  # the target is far back: the first page (50) does not hold it
        post(bob, group, f"needle {number}")
    post(eve, group_with(eve)["id"], "世界 of eve")
    alice = chat_page()
    alice.log_in(alice_account.username)

    alice.page.fill("#message-search", "世界")
    results = alice.page.locator("#message-search-results .search-result")
    expect(results).to_have_count(1)
    expect(results.first.locator("mark")).to_have_text("世界")
    expect(results.first).to_contain_text("<b>你好</b>世界 meeting")  # text, not HTML
    assert alice.page.locator("#message-search-results b").count() == 0

    results.first.click()
    expect(alice.page.locator(f"#message-list .message[data-id='{target['id']}']")).to_be_visible()

    alice.page.fill("#message-search", "needle")
    expect(results).to_have_count(20)
    alice.page.click("#message-search-more")
    expect(results).to_have_count(40)
    alice.page.click("#message-search-more")
    expect(results).to_have_count(60)
    expect(alice.page.locator("#message-search-more")).to_be_hidden()
    alice.page.fill("#message-search", "nothing like this")
    expect(alice.page.locator("#message-search-status")).to_have_text("No messages found.")
    assert_nothing_went_wrong(alice)


def test_search_results_follow_a_message_edited_or_deleted_live(chat_page, api_user):
    """Results shown while a message changes: its author's edit shows there, and once deleted (or hidden)
    its row goes, as the server finds it no more; before, its text stayed readable in the results."""
    alice_account, bob = api_user("al"), api_user("bob")
    group = group_with(alice_account, bob)["id"]
    edited, deleted = post(bob, group, "quokka first words"), post(bob, group, "quokka secret")
    alice = chat_page()
    alice.log_in(alice_account.username)
    alice.page.fill("#message-search", "quokka")
    results = alice.page.locator("#message-search-results .search-result")
    expect(results).to_have_count(2)

    assert bob.api("PATCH", f"/messages/{edited['id']}", json={"body": "quokka better words"}).status_code == 200
    expect(results.filter(has_text="better words")).to_have_count(1)
    expect(results.filter(has_text="better words").locator("mark")).to_have_text("quokka")
    assert bob.api("DELETE", f"/messages/{deleted['id']}").status_code == 200
    expect(results).to_have_count(1)
    expect(alice.page.locator("#message-search-results")).not_to_contain_text("secret")
    assert bob.api("DELETE", f"/messages/{edited['id']}").status_code == 200
    expect(results).to_have_count(0)
    expect(alice.page.locator("#message-search-status")).to_have_text("No messages found.")
    assert_nothing_went_wrong(alice)


def test_a_result_edited_so_that_it_no_longer_matches_leaves_the_results(chat_page, api_user):
    """An edit that takes the searched words out of a message takes its row out of the results shown, as
    the server no longer finds it (and as Slack does); before, the row stayed with the new text, nothing
    in it matching. An edit that keeps them (any case) redraws the row, as before."""
    alice_account, bob = api_user("al"), api_user("bob")
    group = group_with(alice_account, bob)["id"]
    kept, dropped = post(bob, group, "quokka river walk"), post(bob, group, "quokka lunch")
    alice = chat_page()
    alice.log_in(alice_account.username)
    alice.page.fill("#message-search", "Quokka walk")
    results = alice.page.locator("#message-search-results .search-result")
    expect(results).to_have_count(1)
    alice.page.fill("#message-search", "quokka")
    expect(results).to_have_count(2)

    assert bob.api("PATCH", f"/messages/{dropped['id']}", json={"body": "wombat lunch"}).status_code == 200
    expect(results).to_have_count(1)
    expect(alice.page.locator("#message-search-results")).not_to_contain_text("wombat")
    assert bob.api("PATCH", f"/messages/{kept['id']}", json={"body": "QUOKKA by the river"}).status_code == 200
    expect(results.filter(has_text="by the river")).to_have_count(1)
    assert bob.api("PATCH", f"/messages/{kept['id']}", json={"body": "by the river"}).status_code == 200
    expect(results).to_have_count(0)
    expect(alice.page.locator("#message-search-status")).to_have_text("No messages found.")
    assert_nothing_went_wrong(alice)


def test_the_keyboard_stays_in_the_search_results_as_they_follow_changes(chat_page, api_user):
    """The keyboard on a result whose message is edited stays on it, drawn anew; on one whose message is
    deleted it goes to the next result. Before, both fell to the page's body (Tab started from the top)."""
    alice_account, bob = api_user("al"), api_user("bob")
    group = group_with(alice_account, bob)["id"]
    post(bob, group, "quokka first words")
    second = post(bob, group, "quokka second words")
    alice = chat_page()
    alice.log_in(alice_account.username)
    alice.page.fill("#message-search", "quokka")
    results = alice.page.locator("#message-search-results .search-result")
    expect(results).to_have_count(2)
    focused = alice.page.locator("#message-search-results .search-result-button:focus")

    results.filter(has_text="second words").locator("button").focus()
    assert bob.api("PATCH", f"/messages/{second['id']}", json={"body": "quokka better words"}).status_code == 200
    expect(results.filter(has_text="better words")).to_have_count(1)
    expect(focused).to_contain_text("better words")
    assert bob.api("DELETE", f"/messages/{second['id']}").status_code == 200
    expect(results).to_have_count(1)
    expect(focused).to_contain_text("first words")
    assert_nothing_went_wrong(alice)


def test_more_results_pressed_twice_adds_the_next_page_once(chat_page, api_user):
    """A double click on More results (or a filter changed while a search is on its way) sent a second
    request with the same cursor, and both answers were appended: every result of the next page twice.
    Only the newest request's answer lands."""
    alice_account, bob = api_user("al"), api_user("bob")
    group = group_with(alice_account, bob)["id"]
    for number in range(22):
        post(bob, group, f"quokka number {number}")
    alice = chat_page()
    alice.log_in(alice_account.username)
    alice.page.fill("#message-search", "quokka")
    results = alice.page.locator("#message-search-results .search-result")
    expect(results).to_have_count(20)
    alice.page.dblclick("#message-search-more")
    expect(results).not_to_have_count(20)
    alice.page.wait_for_timeout(500)  # the second answer, had it been appended
    texts = results.all_inner_texts()
    assert len(texts) == 22 and len(set(texts)) == 22, texts
    assert_nothing_went_wrong(alice)


def test_search_names_a_direct_chat_as_the_sidebar_does(chat_page, api_user):
    """After the other person renamed themselves (user:updated), a direct chat's results and its
    "Search in" choice carry the new name, as its sidebar entry does (sidebar.js conversationTitle)."""
    alice_account, bob = api_user("al"), api_user("bob")
    direct = alice_account.api("POST", "/direct", json={"user_id": bob.id}).json()["conversation"]
    post(bob, direct["id"], "the quokka report")
    alice = chat_page()
    alice.log_in(alice_account.username)
    new_name = f"Robin {uuid.uuid4().hex[:6]}"
    assert bob.api("PATCH", "/me", json={"display_name": new_name}).status_code == 200
    expect(alice.conversation(direct["id"]).locator(".conversation-title")).to_have_text(new_name)

    alice.page.fill("#message-search", "quokka")
    result = alice.page.locator("#message-search-results .search-result")
    expect(result).to_have_count(1)
    expect(result.locator(".search-result-head strong")).to_have_text(new_name)
    expect(alice.page.locator(f"#message-search-scope option[value='{direct['id']}']")).to_have_text(new_name)
    assert_nothing_went_wrong(alice)


def test_mute_sound_and_browser_notifications(chat_page, api_user, live_server):
    alice_account, bob = api_user("al"), api_user("bob")
    group = group_with(alice_account, bob)["id"]
    other = group_with(bob, alice_account)["id"]
    alice = chat_page()
    alice.context.add_init_script(FAKE_NOTIFICATIONS)
    alice.log_in(alice_account.username)
    second_tab = chat_page()
    second_tab.log_in(alice_account.username)

    # Permission is asked from the button only.
    button = alice.page.locator("#notifications-button")
    expect(button).to_be_visible()
    assert alice.page.evaluate("window.Notification.permission") == "default"
    button.click()
    expect(button).to_be_hidden()

    alice.open(group)
    alice.page.click("#mute-button")
    expect(alice.page.locator("#mute-button")).to_have_text("Unmute")
    expect(second_tab.conversation(group).locator(".muted-mark")).to_be_visible()  # the other tab follows
    listed = {c["id"]: c for c in alice_account.api("GET", "/conversations").json()["conversations"]}
    assert listed[group]["membership"]["muted"] is True and listed[other]["membership"]["muted"] is False

    alice.page.evaluate("window.__hidden = true")
    post(bob, group, "muted chatter")
    post(bob, group, f"@{alice_account.username} you are needed")
    post(bob, other, "in the other group")
    expect(alice.conversation(other)).to_contain_text("in the other group")
    notifications = alice.page.evaluate("window.__notifications.map((n) => n.options.body)")
    # The muted group's plain message made none; its mention and the other group's message did.
    assert notifications == [f"@{alice_account.username} you are needed", "in the other group"]

    # Clicking a notification opens its conversation.
    alice.page.evaluate("window.__hidden = false; window.__notifications[0].onclick()")
    expect(alice.page.locator("#conversation-title")).to_have_text(listed[group]["title"])
    # While the tab is visible no notification is made.
    post(bob, other, "seen live")
    expect(alice.conversation(other)).to_contain_text("seen live")
    assert alice.page.evaluate("window.__notifications.length") == 2

    alice.page.click("#mute-button")
    expect(alice.page.locator("#mute-button")).to_have_text("Mute")
    expect(second_tab.conversation(group).locator(".muted-mark")).to_have_count(0)

    worker = requests.get(live_server.url + "/sw.js", timeout=10)
    assert worker.status_code == 200 and "javascript" in worker.headers["Content-Type"]
    assert "showNotification" in worker.text
    assert_nothing_went_wrong(alice, second_tab)


def test_settings_list_and_remove_push_subscriptions(chat_page, api_user):
    account = api_user("pu")
    subscription = {"endpoint": "https://fcm.googleapis.com/fcm/send/settings-test",  # an allowed host
                    "keys": push_keys()}
    made = requests.post(account.server_url + "/api/push/subscriptions", timeout=10,
                         json={"subscription": subscription, "include_text": False},
                         headers={**account.headers, "User-Agent": "Phone browser"})
    assert made.status_code == 201, made.text
    settings = chat_page()
    settings.log_in(account.username)
    settings.page.goto(settings.base_url + "/settings")
    section = settings.page.locator("#push-section")
    expect(section.locator("#push-status")).not_to_be_empty()
    row = section.locator("#push-subscriptions li", has_text="Phone browser")
    expect(row).to_contain_text("without text")
    # Headless Chromium has no push service: this browser is not subscribed, and offers to subscribe.
    expect(section.locator("#push-enable")).to_be_visible()
    row.get_by_role("button", name="Remove").click()
    expect(section.locator("#push-subscriptions")).to_have_text("None.")
    assert account.api("GET", "/push/subscriptions").json()["subscriptions"] == []
    # The service worker registers under the page's CSP, for the whole site.
    scope = settings.page.evaluate("navigator.serviceWorker.register('/sw.js', {scope: '/'}).then((r) => r.scope)")
    assert scope == settings.base_url + "/"
    assert_nothing_went_wrong(settings)


# A browser that keeps a push subscription (headless Chromium has no push service of its own).
FAKE_PUSH = """
window.Notification = class {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
};
const subscription = { endpoint: "ENDPOINT", unsubscribe: () => Promise.resolve(true),
  toJSON: () => ({ endpoint: "ENDPOINT", keys: KEYS }) };
const registration = { pushManager: { getSubscription: () => Promise.resolve(subscription),
                                      subscribe: () => Promise.resolve(subscription) } };
Object.defineProperty(navigator.serviceWorker, "getRegistration", { value: () => Promise.resolve(registration) });
Object.defineProperty(navigator.serviceWorker, "register", { value: () => Promise.resolve(registration) });
Object.defineProperty(navigator.serviceWorker, "ready", { value: Promise.resolve(registration) });
"""


def test_settings_offer_push_again_to_a_browser_the_server_forgot(chat_page, api_user):
    """The browser still holds the subscription it made under a login that ended since (logging out
    forgets it on the server): the page says it gets nothing and offers to subscribe, where it said
    "This browser gets notifications" with only Turn off to click."""
    account = api_user("again")
    endpoint = f"https://fcm.googleapis.com/fcm/send/{uuid.uuid4().hex}"
    keys = push_keys()
    settings = chat_page()
    settings.context.add_init_script(FAKE_PUSH.replace("ENDPOINT", endpoint).replace("KEYS", json.dumps(keys)))
    settings.log_in(account.username)
    settings.page.goto(settings.base_url + "/settings")
    section = settings.page.locator("#push-section")
    expect(section.locator("#push-status")).to_have_text("This browser does not get notifications.")
    expect(section.locator("#push-enable")).to_be_visible()
    expect(section.locator("#push-disable")).to_be_hidden()
    # Subscribed again (this server has no VAPID key for the page's button: through the API), it says so.
    made = requests.post(account.server_url + "/api/push/subscriptions", headers=account.headers, timeout=10,
                         json={"subscription": {"endpoint": endpoint, "keys": keys}})
    assert made.status_code == 201, made.text
    settings.page.reload()
    expect(section.locator("#push-status")).to_have_text("This browser gets notifications.")
    expect(section.locator("#push-disable")).to_be_visible()
    expect(section.locator("#push-enable")).to_be_hidden()
    expect(section.locator("#push-subscriptions li", has_text="this browser")).to_have_count(1)
    assert_nothing_went_wrong(settings)


# A browser whose push subscription's endpoint another account holds: unsubscribing it and subscribing
# again gives a new endpoint, as a browser's push service does.
FAKE_PUSH_RENEWED = """
window.Notification = class {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
};
window.__endpoints = ["FIRST", "SECOND"];
window.__unsubscribed = 0;
function made() {
  const endpoint = window.__endpoints[0];
  return { endpoint, toJSON: () => ({ endpoint, keys: KEYS }),
           unsubscribe: () => {
             window.__unsubscribed += 1;
             window.__endpoints.shift();
             return Promise.resolve(true);
           } };
}
const registration = { pushManager: { getSubscription: () => Promise.resolve(made()),
                                      subscribe: () => Promise.resolve(made()) } };
Object.defineProperty(navigator.serviceWorker, "getRegistration", { value: () => Promise.resolve(registration) });
Object.defineProperty(navigator.serviceWorker, "register", { value: () => Promise.resolve(registration) });
Object.defineProperty(navigator.serviceWorker, "ready", { value: Promise.resolve(registration) });
"""


def test_a_browser_whose_endpoint_another_account_took_subscribes_anew(chat_page, api_user):
    """Whoever knows this browser's endpoint can subscribe it, with other keys, once the login that held it
    ended (the browser keeps it): the owner's Turn on then got 409 push_endpoint_taken for good. The page
    now unsubscribes the browser's subscription and subscribes again, which gives a new endpoint."""
    account, stranger = api_user("own"), api_user("squat")
    first = f"https://fcm.googleapis.com/fcm/send/{uuid.uuid4().hex}"
    second = f"https://fcm.googleapis.com/fcm/send/{uuid.uuid4().hex}"
    taken = requests.post(stranger.server_url + "/api/push/subscriptions", headers=stranger.headers, timeout=10,
                          json={"subscription": {"endpoint": first, "keys": push_keys()}})
    assert taken.status_code == 201, taken.text
    settings = chat_page()
    settings.context.add_init_script(FAKE_PUSH_RENEWED.replace('"FIRST"', json.dumps(first))
                                     .replace('"SECOND"', json.dumps(second)).replace("KEYS", json.dumps(push_keys())))
    # This server has no VAPID key: the page is given one (the fake push manager takes any).
    settings.page.route("**/api/push/key", lambda route: route.fulfill(json={"ok": True, "public_key": "AAAA"}))
    settings.log_in(account.username)
    settings.page.goto(settings.base_url + "/settings")
    section = settings.page.locator("#push-section")
    section.locator("#push-enable").click()
    expect(section.locator("#push-status")).to_have_text("This browser gets notifications.")
    assert [row["endpoint"] for row in account.api("GET", "/push/subscriptions").json()["subscriptions"]] == [second]
    assert [row["endpoint"] for row in stranger.api("GET", "/push/subscriptions").json()["subscriptions"]] == [first]
    assert settings.page.evaluate("window.__unsubscribed") == 1
    assert_nothing_went_wrong(settings)


def test_a_blocked_persons_message_is_a_placeholder_among_the_results(chat_page, api_user):
    """The thread, the sidebar and notifications hide a blocked person's group messages (a placeholder);
    the search results did not: their text showed there in full. Now a result of theirs says "Message from a
    blocked user" (a click still opens it in its place, where it expands), also when the block is made while
    the results show (here, from another device)."""
    alice_account, bob, carol = api_user("al"), api_user("bob"), api_user("car")
    group = group_with(alice_account, bob, carol)["id"]
    post(carol, group, "quokka spam from carol")
    post(bob, group, "quokka photos from bob")
    alice = chat_page()
    alice.log_in(alice_account.username)
    alice.page.fill("#message-search", "quokka")
    results = alice.page.locator("#message-search-results .search-result")
    expect(results).to_have_count(2)
    expect(results.nth(1)).to_contain_text("quokka spam from carol")

    assert alice_account.api("POST", "/blocks", json={"user_id": carol.id}).status_code == 201
    expect(results.nth(1)).to_contain_text("Message from a blocked user")
    expect(alice.page.locator("#message-search-results")).not_to_contain_text("spam from carol")
    expect(results.nth(0)).to_contain_text("quokka photos from bob")
    alice.page.fill("#message-search", "quokk")  # a new search: the same
    expect(results).to_have_count(2)
    expect(results.nth(1)).to_contain_text("Message from a blocked user")
    expect(alice.page.locator("#message-search-results")).not_to_contain_text("spam from carol")
    results.nth(1).click()
    placeholder = alice.page.locator("#message-list .blocked-placeholder")
    expect(placeholder).to_have_count(1)
    assert_nothing_went_wrong(alice)
