"""blueprints/settings: the /settings page, its sections and the link to it."""
from tests.test_security_headers import INLINE


def test_strangers_are_sent_to_log_in(client):
    response = client.get("/settings")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_the_page_has_its_sections_and_no_inline_script(client, alice, auth):
    auth.login()
    page = client.get("/settings").get_data(as_text=True)
    assert 'id="password-section"' in page and 'href="/password?next=/settings"' in page
    assert not INLINE.search(page)


def test_the_chat_page_links_to_it(client, alice, auth):
    auth.login()
    assert 'href="/settings"' in client.get("/").get_data(as_text=True)
