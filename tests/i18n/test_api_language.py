"""GET/PUT /api/me/language with a bearer token: the choice is stored and the pages follow it;
a bad value is refused with invalid_language and changes nothing; error messages stay English."""
from __future__ import annotations

import pytest

from extensions import db
from tests.helpers import bearer, database_rows


def test_choose_and_read_the_language(client, alice):
    headers = bearer(alice)
    assert client.get("/api/me/language", headers=headers).get_json() == {
        "ok": True, "language": None, "languages": ["en", "zh_Hans_CN"]}
    answer = client.put("/api/me/language", headers=headers, json={"language": "zh_Hans_CN"})
    assert answer.status_code == 200 and answer.get_json()["language"] == "zh_Hans_CN"
    db.session.refresh(alice)
    assert alice.language == "zh_Hans_CN"
    assert client.put("/api/me/language", headers=headers, json={"language": None}).get_json()["language"] is None
    db.session.refresh(alice)
    assert alice.language is None


def test_a_field_it_does_not_take_is_refused_and_changes_nothing(client, alice):
    """docs/protocol.md, Input: `{language, theme}` was answered 200 with `theme` ignored."""
    headers = bearer(alice)
    before = database_rows()
    answer = client.put("/api/me/language", headers=headers, json={"language": "zh_Hans_CN", "theme": "dark"})
    assert (answer.status_code, answer.get_json()["error"]["code"]) == (400, "invalid_field")
    assert database_rows() == before


@pytest.mark.parametrize("body", [{}, {"language": "fr"}, {"language": 1}, {"language": ["en"]}, {"language": "zh"}])
def test_a_bad_language_is_refused_and_changes_nothing(client, alice, body):
    headers = bearer(alice)
    before = database_rows()
    answer = client.put("/api/me/language", headers={**headers, "Accept-Language": "zh-CN"}, json=body)
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert error["code"] == "invalid_language" and error["message"].isascii()  # English, whatever the reader's
    assert database_rows() == before


def test_the_language_needs_a_caller(client):
    assert client.get("/api/me/language").status_code == 401
    assert client.put("/api/me/language", json={"language": "en"}).status_code == 401
