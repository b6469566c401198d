"""blueprints/settings/theme.py: POST /settings/theme keeps the choice in a cookie that every page
writes into <html data-theme> and its color-scheme meta; anything but light, dark or system is refused
and changes nothing; a forged cookie reads as the system's theme."""
import re

import pytest

THEME_TAG = re.compile(r'<html lang="[^"]+" data-theme="([a-z]+)">')
SCHEME_META = re.compile(r'<meta name="color-scheme" content="([a-z ]+)">')


def themes_of(client, path: str) -> tuple[str, str]:
    page = client.get(path).get_data(as_text=True)
    return THEME_TAG.search(page).group(1), SCHEME_META.search(page).group(1)


def test_strangers_are_sent_to_log_in(client):
    response = client.post("/settings/theme", data={"theme": "dark"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert "theme=" not in response.headers.get("Set-Cookie", "")
    assert themes_of(client, "/login") == ("system", "light dark")


def test_a_chosen_theme_is_on_every_page(client, alice, auth):
    auth.login()
    response = client.post("/settings/theme", data={"theme": "dark"})
    assert response.status_code == 303 and response.headers["Location"] == "/settings#theme-section"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("theme=dark;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    for path in ("/", "/settings", "/password"):
        assert themes_of(client, path) == ("dark", "dark"), path
    assert 'value="dark" id="theme-dark" checked' in client.get("/settings").get_data(as_text=True)
    auth.logout()
    assert themes_of(client, "/login") == ("dark", "dark")  # the device's choice outlives the login

    auth.login()
    client.post("/settings/theme", data={"theme": "light"})
    assert themes_of(client, "/") == ("light", "light")
    response = client.post("/settings/theme", data={"theme": "system"})
    assert "theme=;" in response.headers["Set-Cookie"]  # deleted: follow the system again
    assert themes_of(client, "/") == ("system", "light dark")


@pytest.mark.parametrize("value", ["purple", "", "DARK", "dark ", "x" * 500, None])
def test_another_theme_is_refused_and_changes_nothing(client, alice, auth, value):
    auth.login()
    client.post("/settings/theme", data={"theme": "dark"})
    response = client.post("/settings/theme", data={} if value is None else {"theme": value})
    assert response.status_code == 303
    assert "theme=" not in response.headers.get("Set-Cookie", "")
    page = client.get("/settings").get_data(as_text=True)
    assert "theme must be one of: light, dark, system." in page
    assert themes_of(client, "/settings") == ("dark", "dark")


def test_a_forged_cookie_reads_as_the_system(client):
    client.set_cookie("theme", '"><script>alert(1)</script>')
    page = client.get("/login").get_data(as_text=True)
    assert THEME_TAG.search(page).group(1) == "system" and "<script>alert" not in page
