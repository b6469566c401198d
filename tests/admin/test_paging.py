"""admin/paging.py: the Messages panel lists without a total (no count over every message), paging by
previous and next, "next" only when a row follows the page; with its search and filters, on SQLite and
PostgreSQL."""
from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from actions.messages import send_message
from tests.admin.conftest import page_and_statements
from tests.database_apps import ENGINES, engine_app
from tests.factories import make_group

PAGER_LINK = re.compile(r'<li class="page-item( disabled)?">\s*<a class="page-link" href="([^"]*)">&(lt|gt);</a>')


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        yield app


@pytest.fixture
def group(alice, bob):
    return make_group(alice, "General", members=[bob])


def send(sender, group, bodies) -> None:
    for body in bodies:
        send_message(sender, group.id, body)


def list_page(client, **arguments) -> tuple[list[str], dict[str, str | None], list[str]]:
    """The bodies listed ("paged NN"), the pager's previous and next addresses (None: disabled), the SQL."""
    page, seen = page_and_statements(client, "/admin/message/?" + urlencode({"page_size": 20, **arguments}))
    links = {"previous" if arrow == "lt" else "next": None if disabled else address.replace("&amp;", "&")
             for disabled, address, arrow in PAGER_LINK.findall(page)}
    assert set(links) == {"previous", "next"}, page
    return re.findall(r"paged \d\d \w+", page), links, seen


def test_the_list_pages_by_previous_and_next_without_counting(operator_client, bob, group):
    send(bob, group, [f"paged {number:02d} lunch" for number in range(1, 41)])

    first, links, seen = list_page(operator_client)
    assert first == [f"paged {number:02d} lunch" for number in range(40, 20, -1)]  # newest first
    assert links["previous"] is None and "page=1" in links["next"]
    assert not [statement for statement in seen if "count(" in statement.lower() and "messages" in statement]

    second, links, _ = list_page(operator_client, page=1)
    assert second == [f"paged {number:02d} lunch" for number in range(20, 0, -1)]
    # 40 messages, 20 a page: nothing follows the second page, so no "next" to an empty one.
    assert links["next"] is None and "page=1" not in links["previous"]

    send(bob, group, ["paged 41 lunch"])
    second, links, _ = list_page(operator_client, page=1)
    assert second == [f"paged {number:02d} lunch" for number in range(21, 1, -1)]
    assert "page=2" in links["next"]
    third, links, _ = list_page(operator_client, page=2)
    assert third == ["paged 01 lunch"] and links["next"] is None and "page=1" in links["previous"]


def test_a_search_finds_a_word_of_the_text_and_pages_through_its_results(operator_client, bob, group):
    send(bob, group, [f"paged {number:02d} {'lunch' if number % 2 else 'dinner'}" for number in range(1, 51)])

    first, links, _ = list_page(operator_client, search="lunch")
    assert first == [f"paged {number:02d} lunch" for number in range(49, 9, -2)]
    assert "search=lunch" in links["next"] and "page=1" in links["next"]
    second, links, _ = list_page(operator_client, search="lunch", page=1)
    assert second == [f"paged {number:02d} lunch" for number in range(9, 0, -2)] and links["next"] is None
    assert list_page(operator_client, search="DINNER paged")[0][:2] == ["paged 50 dinner", "paged 48 dinner"]
    oldest_first, links, _ = list_page(operator_client, search="lunch", sort=0)
    assert oldest_first == [f"paged {number:02d} lunch" for number in range(1, 41, 2)] and "sort=0" in links["next"]
    assert list_page(operator_client, search="lunch", sort=0, page=1)[0] == [
        f"paged {number:02d} lunch" for number in range(41, 51, 2)]
    assert list_page(operator_client, search="lu pag")[0][:2] == ["paged 49 lunch", "paged 47 lunch"]  # a short term


def test_the_text_filter_finds_a_phrase_as_typed(operator_client, bob, group):
    send(bob, group, ["paged 01 buy cheap watches", "paged 02 cheap fancy watches", "paged 03 CHEAP WATCHES"])

    listed, _, _ = list_page(operator_client, flt0_text_contains="cheap watches")
    # The phrase as typed, whatever the case; not both words apart (the search box does that).
    assert listed == ["paged 03 CHEAP", "paged 01 buy"]
    assert list_page(operator_client, flt0_text_contains="ch")[0] == ["paged 03 CHEAP", "paged 02 cheap",
                                                                      "paged 01 buy"]  # short: without the index
    assert list_page(operator_client, flt0_text_contains="cheap watches", sort=0)[0] == ["paged 01 buy",
                                                                                        "paged 03 CHEAP"]
    # With the search box: both hold.
    assert list_page(operator_client, flt0_text_contains="cheap watches", search="buy")[0] == ["paged 01 buy"]


def test_the_text_filter_keeps_the_spaces_typed(operator_client, bob, group):
    """A phrase as typed: " at " is the word "at" (not "what"), and two spaces are two spaces."""
    send(bob, group, ["paged 01 lunch at noon", "paged 02 what a lunch", "paged 03 two  spaces"])

    assert list_page(operator_client, flt0_text_contains=" at ")[0] == ["paged 01 lunch"]
    assert list_page(operator_client, flt0_text_contains=" at noon")[0] == ["paged 01 lunch"]
    assert list_page(operator_client, flt0_text_contains="  ")[0] == ["paged 03 two"]


def test_a_text_filter_too_long_is_said_and_ignored(operator_client, bob, group):
    send(bob, group, ["paged 01 lunch"])
    response = operator_client.get("/admin/message/?" + urlencode({"flt0_text_contains": "x" * 201}))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Invalid Filter Value" in page and "paged 01 lunch" in page


def test_an_empty_text_filter_filters_nothing(operator_client, bob, group):
    """A Text filter added with nothing typed lists every message, as the "contains" filter before it did and
    the panel's other ones do: no "Invalid Filter Value"."""
    send(bob, group, ["paged 01 lunch", "paged 02 dinner"])
    response = operator_client.get("/admin/message/?" + urlencode({"flt0_text_contains": ""}))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Invalid Filter Value" not in page
    assert re.findall(r"paged \d\d \w+", page) == ["paged 02 dinner", "paged 01 lunch"]


def test_the_list_sorts_only_by_columns_with_an_index(operator_client, bob, group):
    """Kind and hidden time are no longer sort links: sorting by them sorted every message."""
    send(bob, group, ["paged 01 lunch", "paged 02 lunch"])
    page = operator_client.get("/admin/message/").get_data(as_text=True)
    sort_links = set(re.findall(r'href="[^"]*[?&]amp;sort=(\d)|href="[^"]*\?sort=(\d)', page))
    assert {index for pair in sort_links for index in pair if index} == {"0", "1", "5"}  # id, conversation, sent
    # An address asking for the kind's order (column 3) lists in the default order.
    assert list_page(operator_client, sort=3)[0] == ["paged 02 lunch", "paged 01 lunch"]


def test_equal_sort_keys_are_paged_through_once_each(operator_client, alice, bob, group):
    """Sorted by conversation (or time sent), many messages share the key: they follow in one order (the
    conversation's, then by id), so that no page repeats a message another page shows and none is skipped."""
    other = make_group(alice, "Other", members=[bob])
    send(bob, group, [f"paged {number:02d} lunch" for number in range(1, 26)])
    send(bob, other, [f"paged {number:02d} lunch" for number in range(26, 51)])
    in_order = [f"paged {number:02d} lunch" for number in range(1, 51)]
    newest_conversation_first = in_order[25:][::-1] + in_order[:25][::-1]
    for arguments, expected in (({"sort": 1}, in_order), ({"sort": 1, "desc": 1}, newest_conversation_first),
                                ({"sort": 5}, in_order), ({"sort": 5, "desc": 1}, in_order[::-1])):
        listed = []
        for page in range(3):
            rows, links, _ = list_page(operator_client, page=page, **arguments)
            listed += rows
        assert links["next"] is None
        assert listed == expected, arguments
