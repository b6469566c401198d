"""Mentions on the page (static/js/chat/message-depth.js) against the server's reading (actions/mentions.py,
actions/code_spans.py, actions/links.py): an @name in code is code, one in a link the link's text, and only
what the server recorded is highlighted, never the name of someone who is not a member, nor `@all` in a
direct chat."""
from __future__ import annotations

import json
import pathlib
import random
import re

import pytest
from playwright.sync_api import expect

from actions.links import ZCC, ZPCC
from actions.mentions import written_names
from tests.browser.helpers import assert_nothing_went_wrong, group_with, module_script_runner, open_as, post

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CASES = json.loads((pathlib.Path(__file__).parent.parent / "mention_cases.json").read_text(encoding="utf-8"))["cases"]
MENTIONS = """
  const { bodyWithMentions } = await import("/static/js/chat/message-depth.js");
  const { rememberPerson } = await import("/static/js/chat/avatars.js");
"""


def test_the_page_highlights_what_the_server_reads_and_records(module_page):
    """Each case of tests/mention_cases.json drawn for bob, reading a message that the server recorded as
    mentioning bob, carl (a member the page knows) and @all: exactly the names read, zed (no member) not."""
    run = module_script_runner(module_page, MENTIONS)
    shown = run("""
        rememberPerson({ id: 2, username: "carl" });
        const me = { id: 1, username: "bob" };
        return cases.map((body) => [...bodyWithMentions(
            { body, mentions: [1, 2], mentions_all: true, sender: { id: 3 } }, me).querySelectorAll(".mention")]
          .map((span) => [span.textContent, span.classList.contains("mention-me")]));
    """.replace("cases.map", json.dumps([case["body"] for case in CASES]) + ".map"))
    for case, highlighted in zip(CASES, shown, strict=True):
        expected = [name.rstrip(".") for name in case["read"] if name != "zed"]
        assert [text[1:].lower() for text, _ in highlighted] == expected, case
        assert [mine for _, mine in highlighted] == [name != "carl" for name in expected], case


def test_the_servers_character_classes_are_the_pages(module_page):
    """actions.links' ZCC and ZPCC (written out there) are linkify-it's src_ZCc and src_ZPCc of the page's
    markdown-it: the same code units of the Basic Multilingual Plane, whatever Python's Unicode version."""
    run = module_script_runner(module_page, 'const { default: md } = await import("/static/vendor/markdown-it.js");')
    pages = run("""
        const re = md().linkify.re;
        const units = (source) => {
          const pattern = new RegExp(`^(?:${source})$`);
          const found = [];
          for (let unit = 0; unit < 0x10000; unit += 1) if (pattern.test(String.fromCharCode(unit))) found.push(unit);
          return found;
        };
        return [units(re.src_ZCc), units(re.src_ZPCc)];
    """)
    assert pages == [[unit for unit in range(0x10000) if re.fullmatch(pattern, chr(unit))] for pattern in (ZCC, ZPCC)]


def test_random_texts_are_read_alike(module_page):
    """2,000 texts (a fixed seed) of backtick runs, fences, blank lines, indentation, emphasis and two
    members' names: the page highlights exactly the members' names the server reads in each."""
    pieces = ["`", "``", "```", "~~~", "@bob", "@carl", " ", "   ", "    ", "\t", "\n", "\n\n", "\r\n", "a", "*", "~"]
    assert differing_readings(module_page, pieces, 20261206) == []


def test_random_texts_with_links_are_read_alike(module_page):
    """5,000 texts (a fixed seed) of schemes, hosts, paths, brackets, quotes, punctuation, e-mail addresses,
    autolinks' "<" and ">", code and two members' names: the page highlights exactly the members' names the
    server reads outside links in each. No "_": emphasis is the documented approximation (actions/links.py)."""
    pieces = ["https://", "http://", "ftp://", "//", "mailto:", "www.", "x.com", "example.org", "a.py", "/", "?",
              "#", "=", "&", "u=", "(", ")", "[", "]", "'", '"', ".", ",", "!", "-", ":", "@bob", "@carl", " ",
              "\n", "a", "`", "<", ">", "^", "|", "é", "。", "x+", "a@b.com", "~", "http", "s:", "//@", "=@"]
    assert differing_readings(module_page, pieces, 20261207, count=5000, longest=12) == []


def differing_readings(module_page, pieces: list[str], seed: int, count: int = 2000, longest: int = 14) -> list:
    """Random texts of `pieces` whose members' names (bob's, carl's) the page highlights otherwise than the
    server reads them (actions.mentions.written_names), a name's trailing "." and "-" read off as both read them."""
    generator = random.Random(seed)
    bodies = ["".join(generator.choice(pieces) for _ in range(generator.randint(1, longest))) for _ in range(count)]
    run = module_script_runner(module_page, MENTIONS)
    shown = run(f"""
        rememberPerson({{ id: 2, username: "carl" }});
        return {json.dumps(bodies)}.map((body) => [...bodyWithMentions(
            {{ body, mentions: [1, 2], mentions_all: false, sender: {{ id: 3 }} }}, {{ id: 1, username: "bob" }})
          .querySelectorAll(".mention")].map((span) => span.textContent.slice(1)));
    """)
    differing = []
    for body, highlighted in zip(bodies, shown, strict=True):
        read = written_names(body)
        members = [member for name in read if (member := re.sub(r"[.-]+$", "", name)) in ("bob", "carl")]
        if highlighted != members:
            differing.append((body, read, highlighted))
    return differing


def test_only_recorded_mentions_are_highlighted(module_page):
    run = module_script_runner(module_page, MENTIONS)
    shown = run("""
        const me = { id: 1, username: "bob" };
        const sender = { id: 3 };
        const spans = (message) => [...bodyWithMentions({ sender, mentions_all: false, ...message }, me)
          .querySelectorAll(".mention")].map((span) => span.textContent);
        return {
          // bob is recorded, zed is no member: only bob's name.
          member: spans({ body: "@zed and @bob", mentions: [1] }),
          // In a direct chat @all is text (mentions_all false), even beside a mention.
          direct: spans({ body: "@all @bob", mentions: [1] }),
          // The name's own dot: "@Bob." shows "@Bob" and the full stop.
          dot: spans({ body: "thanks @Bob.", mentions: [1] }),
          // Someone recorded whose username the page does not know yet: marked to be drawn again.
          unknown: bodyWithMentions({ body: "@dan", mentions: [9], sender }, me).dataset.mentionsUnknown,
          known: bodyWithMentions({ body: "@bob", mentions: [1], sender }, me).dataset.mentionsUnknown ?? null,
        };
    """)
    assert shown == {"member": ["@bob"], "direct": ["@bob"], "dot": ["@Bob"], "unknown": "true", "known": None}


def test_live_code_mentions_nobody_and_non_members_are_not_highlighted(chat_page, api_user):
    """Alice writes to a group of hers with bob and carl: bob's page shows her code as code, with no "@"
    badge for it, and highlights carl's name (a member, who has said nothing: known once the members load)
    but not zed's (someone who is not in the group)."""
    alice_account, bob_account, carl_account, zed_account = map(api_user, ("al", "bob", "carl", "zed"))
    group = group_with(alice_account, bob_account, carl_account)["id"]
    other = group_with(bob_account, alice_account)["id"]  # bob looks at this one while alice writes
    bob = open_as(chat_page, bob_account, other)
    in_code = post(alice_account, group, f"try `@{bob_account.username}`\n```\n@{bob_account.username} @all\n```")
    assert in_code["mentions"] == []
    names = post(alice_account, group, f"@{zed_account.username} meet @{carl_account.username}")
    assert names["mentions"] == [carl_account.id]
    # The marker: the conversation's preview shows the last message, so both came; no badge for the first.
    expect(bob.conversation(group)).to_contain_text("meet")
    expect(bob.conversation(group).locator(".mention-badge")).to_have_count(0)

    held = []  # the group's members, held back: the messages show before the page knows carl's name
    bob.page.route(f"**/api/conversations/{group}/members", lambda route: held.append(route))
    bob.open(group)
    item = bob.page.locator(f"#message-list .message[data-id='{names['id']}']")
    expect(item.locator(".message-body")).to_have_attribute("data-mentions-unknown", "true")
    expect(item.locator(".mention")).to_have_count(0)
    held[0].continue_()  # once they come, her name is highlighted in place (ThreadView.redrawMentions)
    expect(item.locator(".mention")).to_have_text(["@" + carl_account.username])
    expect(item.locator(".message-body")).not_to_have_attribute("data-mentions-unknown", "true")
    code = bob.page.locator(f"#message-list .message[data-id='{in_code['id']}']")
    expect(code.locator("code.message-code")).to_have_text("@" + bob_account.username)
    expect(code.locator("pre.message-code-block")).to_contain_text("@all")
    expect(code.locator(".mention")).to_have_count(0)
    expect(code).not_to_have_class(re.compile(r"\bmentions-me\b"))

    # A real mention of bob after that raises the badge: the badge would have shown for the first.
    post(alice_account, other, f"@{bob_account.username} see the group")
    expect(bob.conversation(other).locator(".mention-badge")).to_have_text("@")
    assert_nothing_went_wrong(bob)


def test_a_mention_of_someone_who_left_is_highlighted(chat_page, api_user):
    """Alice mentions carl, who then leaves the group having written nothing: bob's page knows no username
    for him (not a member, no message of his loaded), asks for his profile once the members are in, and
    highlights his name, as Slack still highlights a mention of someone who left."""
    alice_account, bob_account, carl_account = map(api_user, ("al", "bob", "carl"))
    group = group_with(alice_account, bob_account, carl_account)["id"]
    named = post(alice_account, group, f"@{carl_account.username} the notes, please")
    assert named["mentions"] == [carl_account.id]
    assert carl_account.api("POST", f"/groups/{group}/leave").ok
    bob = open_as(chat_page, bob_account, group)
    item = bob.page.locator(f"#message-list .message[data-id='{named['id']}']")
    expect(item.locator(".mention")).to_have_text(["@" + carl_account.username])
    expect(item.locator(".message-body")).not_to_have_attribute("data-mentions-unknown", "true")
    assert_nothing_went_wrong(bob)
