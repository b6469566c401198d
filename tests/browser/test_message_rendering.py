"""How messages read in a real browser against the real server (issue 8, "What the page still
lacks"): day separators in the reader's language and profile time zone, runs of one sender grouped,
one's own name not repeated; links and light formatting through markdown-it, built as DOM from a
whitelist of tokens, so that no message can add an element, an attribute or a script to the page."""
from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_nothing_went_wrong, group_with, open_as, post

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# UTC+14 all year: most of the day its date is not UTC's (the browser's), so a page that used the
# browser's zone instead of the profile's would put these messages under other days.
ZONE = ZoneInfo("Pacific/Kiritimati")


def backdate(live_server, message_id: int, moment: datetime) -> None:
    """Store a message as written at `moment` (the server stores naive UTC)."""
    naive = moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    with sqlite3.connect(live_server.workdir / "switchboard.db") as database:
        assert database.execute("UPDATE messages SET created_at = ? WHERE id = ?",
                                (naive, message_id)).rowcount == 1


def english_date(day: datetime) -> str:
    """Intl's en date with weekday, as the page writes a day before yesterday ("Friday, November 27")."""
    return f"{day:%A}, {day:%B} {day.day}"


def zoned_group(api_user):
    """Alice, whose profile is in ZONE, and Bob, in a group of theirs."""
    alice_account, bob = api_user("al"), api_user("bob")
    assert alice_account.api("PATCH", "/me", json={"time_zone": ZONE.key}).status_code == 200
    return alice_account, bob, group_with(alice_account, bob)["id"]


def item_classes(chat) -> list[tuple[str, str]]:
    """The list's rows in order: ('day', label) or (message body, 'continued' | 'first')."""
    return chat.page.eval_on_selector_all("#message-list > .day-separator, #message-list > .message", """items =>
        items.map(item => item.classList.contains("day-separator") ? ["day", item.textContent]
            : [item.querySelector(".message-body").textContent,
               item.classList.contains("continued") ? "continued" : "first"])""")


def test_day_separators_in_the_profile_zone_runs_of_one_sender_and_no_own_name(chat_page, api_user, live_server):
    alice_account, bob, group = zoned_group(api_user)
    midnight = datetime.now(ZONE).replace(hour=0, minute=0, second=0, microsecond=0)
    earlier_day = midnight - timedelta(days=4)
    plan = [  # (author, body, local moment)
        (bob, "b1 long ago", earlier_day + timedelta(hours=10)),
        (bob, "b2 a minute later", earlier_day + timedelta(hours=10, minutes=1)),
        (alice_account, "a1 my answer", earlier_day + timedelta(hours=10, minutes=2)),
        (bob, "b3 after alice", earlier_day + timedelta(hours=10, minutes=3)),
        (bob, "b4 late yesterday", midnight - timedelta(minutes=2)),
        (bob, "b5 just after midnight", midnight + timedelta(minutes=1)),  # 2 minutes later, another day
        (bob, "b6 same run", midnight + timedelta(minutes=3)),
        (bob, "b7 after a pause", midnight + timedelta(minutes=30)),
    ]
    for author, body, moment in plan:
        backdate(live_server, post(author, group, body)["id"], moment)

    alice = open_as(chat_page, alice_account, group)
    expect(alice.messages).to_have_count(len(plan))
    assert item_classes(alice) == [
        ["day", english_date(earlier_day)],
        ["b1 long ago", "first"], ["b2 a minute later", "continued"], ["a1 my answer", "first"],
        ["b3 after alice", "first"],
        ["day", "Yesterday"], ["b4 late yesterday", "first"],
        ["day", "Today"], ["b5 just after midnight", "first"], ["b6 same run", "continued"],
        ["b7 after a pause", "first"],
    ]
    # The name shows on the first message of a run only (the others keep it for screen readers: 1 px,
    # clipped); one's own bubbles never show one's name.
    names = alice.page.locator("#message-list .message-sender:not(.visually-hidden)")
    expect(names).to_have_count(7)
    widths = names.evaluate_all("names => names.map((name) => name.getBoundingClientRect().width)")
    assert len([width for width in widths if width > 1]) == 5, widths
    expect(alice.page.locator("#message-list .message", has_text="b2 a minute later")
           .locator(".message-avatar")).to_be_hidden()
    own = alice.page.locator("#message-list .message.own")
    expect(own.locator(".message-sender")).to_have_text("You")  # for screen readers only: 1 px, clipped
    assert own.locator(".message-sender").evaluate("name => name.getBoundingClientRect().width") <= 1
    assert alice_account.username not in own.inner_text()
    # Under each message its time only: the day is in the separator above.
    expect(alice.page.locator("#message-list .message", has_text="b4 late yesterday").locator(".message-time")) \
        .to_have_text("11:58 PM")

    # Live: a new message joins today; Alice's own message right after is no new day either.
    post(bob, group, "b8 live")
    alice.type_and_send("a2 live")
    expect(alice.page.locator("#message-list .message-body", has_text="a2 live")).to_be_visible()
    assert [row for row in item_classes(alice) if row[0] == "day"] == [
        ["day", english_date(earlier_day)], ["day", "Yesterday"], ["day", "Today"]]

    alice.page.screenshot(path="/tmp/message-days-and-runs.png")
    # Deleting a message keeps its place: the separators and runs around it stay as they were.
    second = alice.page.locator("#message-list .message", has_text="b2 a minute later").get_attribute("data-id")
    assert bob.api("DELETE", f"/messages/{second}").status_code == 200
    expect(alice.page.locator(f"#message-list .message[data-id='{second}']")).to_have_class(re.compile(r"\bremoved\b"))
    assert item_classes(alice)[:3] == [["day", english_date(earlier_day)], ["b1 long ago", "first"],
                                       ["message deleted", "continued"]]
    assert_nothing_went_wrong(alice)



def test_a_membership_note_shows_its_time_only_as_messages_do(chat_page, api_user, live_server):
    """A note sits under its day's separator like a message: the day is not repeated next to its time."""
    alice_account, bob, group = zoned_group(api_user)
    carol = api_user("car")
    assert alice_account.api("POST", f"/groups/{group}/members", json={"user_id": carol.id}).status_code == 201
    stored = alice_account.api("GET", f"/conversations/{group}/messages").json()["messages"]
    note = next(message for message in stored if (message.get("system") or {}).get("user_id") == carol.id)
    midnight = datetime.now(ZONE).replace(hour=0, minute=0, second=0, microsecond=0)
    backdate(live_server, note["id"], midnight - timedelta(minutes=2))

    alice = open_as(chat_page, alice_account, group)
    shown = alice.page.locator(f"#message-list .note[data-id='{note['id']}']")
    expect(shown.locator(".message-time")).to_have_text("11:58 PM")
    assert_nothing_went_wrong(alice)


MANY = 130


def test_a_window_far_back_and_older_pages_put_in_above_keep_one_separator_per_day(chat_page, api_user,
                                                                                   live_server):
    alice_account, bob, group = zoned_group(api_user)
    today = datetime.now(ZONE).replace(hour=9, minute=0, second=0, microsecond=0)
    two_days_ago = today - timedelta(days=2)
    # Alice's own messages (none unread: the page opens at the newest, not at a first unread).
    first = None
    for number in range(MANY):  # pages of 50: m0 is far enough back for a jump to open a window around it
        moment = (two_days_ago if number < 5 else today) + timedelta(minutes=number)
        sent = post(alice_account, group, f"m{number}")
        first = first or sent
        backdate(live_server, sent["id"], moment)
    assert bob.api("POST", f"/conversations/{group}/messages",
                   json={"body": "about m0", "reply_to": first["id"]}).status_code == 201

    alice = open_as(chat_page, alice_account, group)
    expect(alice.messages).to_have_count(50)  # the newest page
    separators = alice.page.locator("#message-list .day-separator")
    expect(separators).to_have_text(["Today"])
    expected_start = [
        ["day", english_date(two_days_ago)], ["m0", "first"], ["m1", "continued"], ["m2", "continued"],
        ["m3", "continued"], ["m4", "continued"], ["day", "Today"], ["m5", "first"], ["m6", "continued"]]

    # A jump to the quoted m0 shows a window around it (thread.js): its days are marked the same way.
    alice.page.locator("#message-list .reply-quote").click()
    expect(alice.page.locator("#jump-latest")).to_have_text("Jump to latest ↓")
    expect(alice.page.locator(f"#message-list .message[data-id='{first['id']}']")).to_be_in_viewport()
    assert item_classes(alice)[:9] == expected_start
    expect(separators).to_have_text([english_date(two_days_ago), "Today"])
    alice.page.click("#jump-latest")
    expect(alice.messages.last.locator(".message-body")).to_have_text("about m0")
    expect(separators).to_have_text(["Today"])

    # Older pages put in above the newest: the day before gets its separator, "Today" moves up.
    for shown in (100, MANY + 1):
        alice.page.locator("#message-scroller").evaluate("scroller => { scroller.scrollTop = 0; }")
        expect(alice.messages).to_have_count(shown)
    expect(separators).to_have_text([english_date(two_days_ago), "Today"])
    assert item_classes(alice)[:9] == expected_start
    assert_nothing_went_wrong(alice)


XSS_CORPUS = [
    "<img src=x onerror=\"window.__xss=1\">",
    "<script>window.__xss=2</script>",
    "[click](javascript:window.__xss=3)",
    "<javascript:window.__xss=4>",
    "**<b>x</b>**",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "https://example.org/\"onmouseover=\"window.__xss=5\" x=\"",
    "www.example.org/'><svg onload=window.__xss=6>",
    "![image](https://example.org/x.png) # heading",
    "<a href=\"javascript:window.__xss=7\">a</a> &lt;b&gt;",
    "```\n<iframe src=javascript:window.__xss=8></iframe>\n```",
    "`<style>body{display:none}</style>`",
    "<vbscript:msgbox(1)> <file:///etc/passwd>",
    "setup.py and readme.md are files; example.com, www.example.de and example.de/page are sites",
]
ALLOWED_TAGS = {"STRONG", "EM", "CODE", "PRE", "A", "SPAN"}
ALLOWED_SCHEMES = ("http:", "https:", "mailto:")


def test_links_and_light_formatting_never_make_html_of_a_message(chat_page, api_user):
    alice_account, bob = api_user("al"), api_user("bob")
    group = group_with(alice_account, bob)["id"]
    for body in XSS_CORPUS:
        post(bob, group, body)
    post(bob, group, f"**bold @{alice_account.username}** _it_ `a<b>` see https://example.org/a?b=1 or "
                     "mail ops@example.org\n\n\n```\nline <1>\n  line 2\n```\nafter")
    alice = open_as(chat_page, alice_account, group)
    expect(alice.messages).to_have_count(len(XSS_CORPUS) + 1)

    elements = alice.page.eval_on_selector_all("#message-list .message-body *", """nodes => nodes.map(node =>
        [node.tagName, [...node.attributes].map(attribute => attribute.name).sort().join(" ")])""")
    assert {tag for tag, _ in elements} <= ALLOWED_TAGS, elements
    # (tabindex: the roving focus of the message list puts it on links)
    assert {attributes for _, attributes in elements} <= {"class", "", "class href rel target",
                                                           "class href rel tabindex target"}, elements
    links = alice.page.eval_on_selector_all("#message-list .message-body a", """links => links.map(link =>
        [link.protocol, link.getAttribute("href"), link.rel, link.target, link.textContent])""")
    assert links, "the http, https and mailto addresses are links"
    for protocol, href, rel, target, _text in links:
        assert protocol in ALLOWED_SCHEMES, href
        assert rel == "noopener noreferrer" and target == "_blank"
    hrefs = [href for _, href, *_ in links]
    assert "https://example.org/a?b=1" in hrefs and "mailto:ops@example.org" in hrefs
    assert alice.page.evaluate("window.__xss") is None
    # What was not formatting stays the text that was written.
    bodies = alice.page.locator("#message-list .message-body")
    # A bare file name is no link, though .py and .md are countries' domains; sites are.
    expect(bodies.nth(len(XSS_CORPUS) - 1).locator("a")).to_have_text(["example.com", "www.example.de",
                                                                       "example.de/page"])
    expect(bodies.nth(0)).to_have_text(XSS_CORPUS[0])
    expect(bodies.nth(2)).to_have_text(XSS_CORPUS[2])
    expect(bodies.nth(4).locator("strong")).to_have_text("<b>x</b>")
    expect(bodies.nth(8)).to_have_text(XSS_CORPUS[8])
    expect(bodies.nth(9)).to_have_text(XSS_CORPUS[9])
    expect(bodies.nth(10).locator("pre code")).to_have_text("<iframe src=javascript:window.__xss=8></iframe>")
    expect(bodies.nth(11).locator("code")).to_have_text("<style>body{display:none}</style>")
    assert alice.page.locator(", ".join(f"#message-list .bubble {tag}" for tag in (
        "img", "script", "iframe", "b", "svg", "style", "h1", "[onerror]", "[onmouseover]"))).count() == 0

    # The formatted message: bold with a mention inside it, italic, code, links, a code block.
    formatted = bodies.nth(len(XSS_CORPUS))
    expect(formatted.locator("strong .mention.mention-me")).to_have_text("@" + alice_account.username)
    expect(formatted.locator("em")).to_have_text("it")
    expect(formatted.locator("code.message-code")).to_have_text("a<b>")
    expect(formatted.locator("pre.message-code-block code")).to_have_text("line <1>\n  line 2")
    # The sidebar's preview reads as the message does, without the markers.
    expect(alice.conversation(group).locator(".conversation-preview")).to_contain_text(
        f"bold @{alice_account.username} it a<b> see https://example.org/a?b=1")
    formatted.scroll_into_view_if_needed()
    alice.page.screenshot(path="/tmp/message-formatting.png")
    # Blank lines stay as written: two empty lines above the block.
    assert formatted.evaluate("body => body.childNodes[body.childNodes.length - 3].textContent") == "\n\n\n"
    assert_nothing_went_wrong(alice)
