"""actions.code_spans and actions.links, the page's rules for code and links read on the server: @names in
code or in a link mention nobody.
The cases are tests/mention_cases.json, which the page's test reads too (tests/browser/test_mentions_in_code.py),
so that both sides agree on each."""
from __future__ import annotations

import json
import pathlib

import pytest

from actions.code_spans import text_outside_code
from actions.links import text_outside_links
from actions.mentions import mentioned_names, written_names
from actions.messages import edit_message, send_message

CASES = json.loads((pathlib.Path(__file__).parent / "mention_cases.json").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[case["why"] for case in CASES])
def test_the_server_reads_the_names_the_page_shows_as_text(case):
    read = [name.lower() for name in written_names(case["body"])]
    assert read == case["read"]
    assert {name.rstrip(".-") for name in mentioned_names(case["body"])} == {name.rstrip(".-") for name in read}


def test_the_runs_of_text_around_code():
    assert text_outside_code("a `b` c ``d`` e") == ["a ", " c ", " e"]
    assert text_outside_code("x\n```py\ncode\n```\ny") == ["x", "y"]
    assert text_outside_code("`unclosed") == ["`unclosed"]
    assert text_outside_code("") == []


def test_a_mention_in_code_stores_no_mention_nor_does_an_edit_into_code(alice, bob, group):
    in_code = send_message(alice, group.id, f"try `@{bob.username}` or\n```\n@{bob.username} @all\n```").message
    assert (in_code.mentions, in_code.mentions_all) == ([], False)
    mentioned = send_message(alice, group.id, f"@{bob.username} `@{bob.username}`").message
    assert [mention.user_id for mention in mentioned.mentions] == [bob.id]
    edited = edit_message(alice, mentioned.id, f"`@{bob.username}` after all")
    assert edited.mentions == []


def test_all_in_code_needs_no_admin(bob, group):
    """`@all` written as code mentions nobody, so a member who may not mention everyone may write it."""
    sent = send_message(bob, group.id, "type `@all` to call everyone").message
    assert (sent.mentions, sent.mentions_all) == ([], False)


def test_a_code_span_does_not_hide_a_mention_after_it(alice, bob, group):
    sent = send_message(alice, group.id, f"`x`@{bob.username}").message
    assert [mention.user_id for mention in sent.mentions] == [bob.id]


def test_the_runs_of_text_around_links():
    assert text_outside_links("see https://x.com/?u=@bob and x.org or a@b.com") == ["see ", " and ", " or "]
    assert text_outside_links("ftp://x.com/@a <ftp://y/@b> c") == ["ftp://x.com/@a", " ", "ftp://y/@b", " c"]
    assert text_outside_links("setup.py, www.a.py") == ["setup.py", ", "]  # a file's name is shown as text


def test_a_mention_in_a_link_stores_no_mention(alice, bob, group):
    sent = send_message(alice, group.id, f"https://x.com/?u=@{bob.username} and x.com/#@{bob.username}").message
    assert sent.mentions == []
    after = send_message(alice, group.id, f"https://x.com/ @{bob.username}").message
    assert [mention.user_id for mention in after.mentions] == [bob.id]
