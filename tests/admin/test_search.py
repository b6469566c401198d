"""admin/search.py: in the back office's search boxes and "contains" filters, `%` and `_` are
text to find, as in every search of the service (models.database.escape_like)."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest

from actions.messages import send_message
from admin.search import search_pattern
from extensions import db
from tests.factories import make_group, make_user

BODIES = ("100% sure", "1000 sure", "snake_case", "snakeXcase")


@pytest.fixture
def bodies(alice, bob):
    group = make_group(alice, "General", members=[bob])
    for body in BODIES:
        send_message(bob, group.id, body)


def shown(client, path: str, candidates, **arguments) -> set[str]:
    response = client.get(f"{path}?{urlencode(arguments)}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return {candidate for candidate in candidates if candidate in page}


def test_the_messages_text_filter_takes_wildcards_as_text(operator_client, bodies):
    def text_contains(value: str) -> set[str]:
        return shown(operator_client, "/admin/message/", BODIES, flt0_text_contains=value)

    assert text_contains("100%") == {"100% sure"}
    assert text_contains("snake_case") == {"snake_case"}
    assert text_contains("sure") == {"100% sure", "1000 sure"}
    assert text_contains("%") == {"100% sure"}


def test_the_users_search_takes_wildcards_as_text(operator_client):
    names = {"ann_lee": "Underscore Ann", "annxlee": "Letter Ann", "bea100": "Fully 100% Bea",
             "bea1000": "Fully 1000 Bea"}
    for username, display_name in names.items():
        make_user(username).display_name = display_name
    db.session.commit()

    def search(text: str) -> set[str]:
        return shown(operator_client, "/admin/user/", names.values(), search=text)

    assert search("ann_lee") == {"Underscore Ann"}
    assert search("100%") == {"Fully 100% Bea"}
    assert search("ann") == {"Underscore Ann", "Letter Ann"}
    assert search("=annxlee") == {"Letter Ann"}  # Flask-Admin's prefixes still work
    assert search("^bea") == {"Fully 100% Bea", "Fully 1000 Bea"}


@pytest.mark.parametrize(("term", "pattern"), [
    ("a_b", "%a\\_b%"), ("100%", "%100\\%%"), ("^a_", "a\\_%"), ("=a%", "a\\%"), ("back\\slash", "%back\\\\slash%")])
def test_search_pattern(term, pattern):
    assert search_pattern(term) == pattern
