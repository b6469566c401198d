"""The composer's @mention suggestions leave out a member whose account was deactivated or suspended (as
Slack does): they stay in the group, with their name by their messages, but nobody can reach them; and
they do not open in code or a link, where a name mentions nobody (actions/code_spans.py, actions/links.py); a
name written before the members were loaded is suggested when they are. Against the live server; the account is
closed on its database, as the back office closes it."""
from __future__ import annotations

import json

from playwright.sync_api import expect

from extensions import db
from models import User
from models.time import utcnow
from tests.browser.helpers import assert_nothing_went_wrong, group_with, module_script_runner
from tests.servers import wait_for


def deactivate(live_server, user_id: int) -> None:
    with live_server.app_beside():
        user = db.session.get(User, user_id)
        user.active, user.deactivated_at = False, utcnow()
        db.session.commit()


def test_a_deactivated_member_is_not_suggested_to_mention(chat_page, api_user, live_server):
    alice, bob, gone = api_user("al"), api_user("mzb"), api_user("mzg")
    group = group_with(alice, bob, gone)["id"]
    deactivate(live_server, gone.id)

    page = chat_page()
    page.log_in(alice.username)
    page.open(group)
    page.page.fill("#composer-input", "")
    page.page.type("#composer-input", "hi @mz")
    expect(page.page.locator(f"#mention-list .mention-choice[data-username='{bob.username}']")).to_be_visible()
    expect(page.page.locator("#mention-list .mention-choice")).to_have_count(1)
    assert_nothing_went_wrong(page)


# What is written before the caret, then "z": whether it is code there (no suggestions), as the page draws it.
WRITTEN = [
    ("hi @m", False),
    ("try `@m", True),  # an open backtick: code once closed
    ("try `x` @m", False),  # after a closed code span
    ("``a ` @m", True),  # closed by either run
    ("`a`` @m", True),  # the first run closes at a run of one
    ("```\nrun @m", True),  # an open fence
    ("~~~\n@m", True),
    ("```@m", True),  # a fence's info string
    ("```\nx\n```\n@m", False),  # after a closed fence
    ("`a\n\n@m", False),  # a blank line ends the paragraph: the backtick before it is text
]


# The same for links (message-format.js endsInLink), where a name mentions nobody either (actions/links.py).
LINKED = [
    ("see https://x.com/?u=@m", True),
    ("example.com/#@m", True),
    ("www.example.com/a?to=@m", True),
    ("see https://x.com/ @m", False),  # after the link
    ("ftp://x.com/?u=@m", False),  # the page shows an ftp link as text, and the server reads the name in it
    ("[site](https://x.com) @m", False),
    ("https://x.com/?u=\n\n@m", False),  # a new paragraph
]


def test_code_is_read_as_the_page_draws_it(module_page):
    run = module_script_runner(module_page, 'const { endsInCode } = await import("/static/js/chat/message-format.js");')
    texts = [text + "z" for text, _ in WRITTEN]
    assert run(f"return {texts!r}.map(endsInCode);".replace("'", '"')) == [code for _, code in WRITTEN]


def test_links_are_read_as_the_page_draws_them(module_page):
    run = module_script_runner(module_page, 'const { endsInLink } = await import("/static/js/chat/message-format.js");')
    texts = [text + "z" for text, _ in LINKED]
    assert run(f"return {json.dumps(texts)}.map(endsInLink);") == [linked for _, linked in LINKED]


def test_no_suggestions_in_code_or_links(chat_page, api_user):
    """Typing "@mz" in code or a link suggests nobody; each text that is neither shows bob's suggestion (so that the
    list would have shown), and the next code text hides it."""
    alice, bob = api_user("al"), api_user("mzb")
    group = group_with(alice, bob)["id"]
    page = chat_page()
    page.log_in(alice.username)
    page.open(group)
    choice = page.page.locator(f"#mention-list .mention-choice[data-username='{bob.username}']")
    for written, code in WRITTEN + LINKED:
        page.page.fill("#composer-input", "hi @m")
        page.page.type("#composer-input", "z")
        expect(choice).to_be_visible()  # shown before each case: a hidden list is this case's answer
        page.page.fill("#composer-input", written)
        page.page.type("#composer-input", "z")
        if code:
            expect(page.page.locator("#mention-list")).to_be_hidden()
        else:
            expect(choice).to_be_visible()
    assert_nothing_went_wrong(page)


def test_a_name_written_before_the_members_came_is_suggested_when_they_do(chat_page, api_user):
    """The page asks for the group's members when it opens it; "@mz" written before they come is suggested once they
    do (as it is in Slack), without another key. A change of members afterwards (someone added) redraws the list
    with the highlighted choice kept; after Escape it stays closed."""
    alice, bob, carl, dave, erin = (api_user(prefix) for prefix in ("al", "mzb", "mzc", "mzd", "mze"))
    group = group_with(alice, bob, carl)["id"]
    page = chat_page()
    page.log_in(alice.username)
    held = []  # the members, held back until "@mz" is written
    page.page.route(f"**/api/conversations/{group}/members", lambda route: held.append(route), times=1)
    page.open(group)
    page.page.fill("#composer-input", "")
    page.page.type("#composer-input", "hi @mz")
    listed = page.page.locator("#mention-list")
    choices = listed.locator(".mention-choice")  # (a closed list keeps its last choices, hidden)
    # The page has asked (Playwright hands over the route while it runs): until the answer it knows no member.
    wait_for(lambda: held or page.page.wait_for_timeout(50), what="the page asking for the members")
    expect(listed).to_be_hidden()
    held[0].continue_()
    expect(listed).to_be_visible()
    expect(choices).to_have_count(2)
    page.page.keyboard.press("ArrowDown")
    expect(listed.locator(".mention-choice.active")).to_have_attribute("data-username", carl.username)

    assert alice.api("POST", f"/groups/{group}/members", json={"user_id": dave.id}).status_code == 201
    expect(choices).to_have_count(3)  # dave, listed while the list is open
    expect(listed).to_be_visible()
    expect(listed.locator(".mention-choice.active")).to_have_attribute("data-username", carl.username)

    page.page.keyboard.press("Escape")
    expect(listed).to_be_hidden()
    assert alice.api("POST", f"/groups/{group}/members", json={"user_id": erin.id}).status_code == 201
    expect(page.page.get_by_role("button", name="5 members", exact=False)).to_be_visible()  # the page knows erin
    expect(listed).to_be_hidden()
    assert_nothing_went_wrong(page)
