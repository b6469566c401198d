"""/settings' privacy section (blueprints/settings/privacy.py): the choices shown and saved, the
blocked people listed and unblocked, bad values refused without a change; in both languages."""
from __future__ import annotations

import pytest

from actions.access import privacy_of
from actions.blocks import block_user
from tests.helpers import database_rows


def test_the_section_shows_the_choices_and_saves_them(client, alice, auth):
    auth.login()
    page = client.get("/settings").get_data(as_text=True)
    assert 'id="privacy-section"' in page and 'id="blocked-empty"' in page
    assert '<option value="everyone" selected>' in page
    answer = client.post("/settings/privacy", data={"direct_chats": "contacts", "last_seen": "nobody",
                                                    "read_receipts": "contacts"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/settings#privacy-section")
    settings = privacy_of(alice.id)
    assert (settings.direct_chats, settings.last_seen, settings.read_receipts) == ("contacts", "nobody", "contacts")
    page = client.get("/settings").get_data(as_text=True)
    assert "Privacy settings saved." in page
    assert '<option value="nobody" selected>' in page and '<option value="contacts" selected>' in page


def test_a_value_not_offered_changes_nothing(client, alice, auth):
    auth.login()
    before = database_rows()
    answer = client.post("/settings/privacy", data={"direct_chats": "nobody", "last_seen": "everyone"})
    assert answer.status_code == 302
    assert database_rows() == before
    assert 'class="flash error"' in client.get("/settings").get_data(as_text=True)
    assert privacy_of(alice.id).direct_chats == "everyone"


def test_blocked_people_are_listed_and_unblocked(client, alice, bob, auth):
    block_user(alice, bob.id)
    auth.login()
    page = client.get("/settings").get_data(as_text=True)
    assert f'data-user-id="{bob.id}"' in page and "@bob" in page
    assert client.post(f"/settings/blocks/{bob.id}/remove").status_code == 302
    page = client.get("/settings").get_data(as_text=True)
    assert f'data-user-id="{bob.id}"' not in page and 'id="blocked-empty"' in page
    assert client.post(f"/settings/blocks/{bob.id}/remove").status_code == 302  # not blocked: a notice, no change


@pytest.mark.parametrize("language, heading", [("en", "Privacy"), ("zh-CN", "隐私")])
def test_the_section_speaks_the_readers_language(client, alice, auth, language, heading):
    auth.login()
    page = client.get("/settings", headers={"Accept-Language": language}).get_data(as_text=True)
    assert f"<h2>{heading}</h2>" in page


def test_a_refusal_reads_in_chinese_on_a_chinese_page(client, alice, bob, auth):
    auth.login()
    headers = {"Accept-Language": "zh-CN"}
    assert client.post(f"/settings/blocks/{bob.id}/remove", headers=headers).status_code == 302
    assert "你没有屏蔽此人。" in client.get("/settings", headers=headers).get_data(as_text=True)
