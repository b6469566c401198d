"""Screenshots of the main screens for docs/screenshots.md (run by scripts/screenshots).

Starts a throwaway Switchboard (gunicorn and its job consumer on a temporary SQLite database, as the
integration tests do: tests/servers.py), fills it with demo people, groups and messages through the
JSON API, and photographs the pages with Playwright and Debian's Chromium into docs/screenshots/
(palette PNGs, a few hundred KB in all). Needs fonts-noto-cjk and fonts-noto-color-emoji for the
Chinese text and the emoji."""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import requests
from PIL import Image
from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.servers import VENV_BIN, ChatUser, LiveServer  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
PASSWORD = "correct horse battery"
PEOPLE = {"alice": "Alice Martin", "bob": "Bob Okafor", "carol": "Carol Chen 陈", "dan": "Dan Novák"}
CONVERSATION = [
    ("bob", "Morning! The new onboarding screens are up for review 🎉"),
    ("carol", "Looks great. Can we make the buttons a little larger on phones?"),
    ("alice", "Good idea, I'll bump them to 44 px."),
    ("dan", "Also: the Chinese copy is in — 欢迎使用 Switchboard！"),
    ("bob", "Release notes draft: https://example.org/notes"),
    ("alice", "Thanks all — shipping it this afternoon 🚀"),
]


def person(server: LiveServer, username: str) -> ChatUser:
    response = requests.post(server.url + "/api/accounts", timeout=10, json={
        "username": username, "password": PASSWORD, "display_name": PEOPLE[username]})
    response.raise_for_status()
    body = response.json()
    return ChatUser(server.url, username, body["token"], body["user"]["id"])


def created(response: requests.Response) -> dict:
    assert response.status_code in (200, 201), response.text
    return response.json()


def say(user: ChatUser, conversation: dict, body: str) -> dict:
    return created(user.api("POST", f"/conversations/{conversation['id']}/messages",
                            json={"body": body, "client_id": uuid.uuid4().hex}))["message"]


def demo_data(server: LiveServer) -> dict:
    """People, a team group with a conversation, a public group, a direct chat and a report."""
    people = {username: person(server, username) for username in PEOPLE}
    alice, bob, carol, dan = people.values()
    team = created(alice.api("POST", "/groups", json={
        "name": "Design team", "visibility": "private", "description": "Screens, copy and releases",
        "member_ids": [bob.id, carol.id, dan.id]}))["conversation"]
    hikers = created(carol.api("POST", "/groups", json={
        "name": "Weekend hikers", "visibility": "public", "description": "Trails near town"}))["conversation"]
    for member in (alice, dan):
        created(member.api("POST", f"/groups/{hikers['id']}/join"))
    say(carol, hikers, "Saturday: the ridge loop, 9:00 at the station")
    direct = created(bob.api("POST", "/direct", json={"user_id": alice.id}))["conversation"]
    say(bob, direct, "Lunch at 12:30?")
    messages = [say(people[username], team, body) for username, body in CONVERSATION]
    created(carol.api("POST", f"/messages/{messages[0]['id']}/reactions", json={"emoji": "👍"}))
    created(dan.api("POST", f"/messages/{messages[0]['id']}/reactions", json={"emoji": "🎉"}))
    spam = say(dan, hikers, "Cheap watches!!! Visit my shop now")
    created(carol.api("POST", f"/messages/{spam['id']}/report", json={"reason": "spam", "text": "Advertising"}))
    return {"team": team, "people": people}


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(base_url + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")


def save(page: Page, name: str, part: str | None = None) -> None:
    """The page (or its element `part`) as a palette PNG (256 colours): a fifth of the size of the
    full-colour one, the same to the eye."""
    path = OUT / f"{name}.png"
    (page.locator(part) if part else page).screenshot(path=str(path))
    image = Image.open(path).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    image.save(path, optimize=True)
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")


def open_chat(page: Page, base_url: str, team: dict) -> None:
    log_in(page, base_url, "alice")
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "online", timeout=20_000)
    page.locator(f"#conversation-list .conversation[data-conversation-id='{team['id']}'] button").first.click()
    expect(page.locator("#message-list .message-body", has_text="shipping it")).to_be_visible()
    page.mouse.move(0, 0)  # no hover actions over a message


def open_group_panel(page: Page) -> None:
    """The group's info panel (the header's "Group info"), once its member list has come."""
    page.click("#group-info-button")
    expect(page.locator("#group-panel .member-item")).to_have_count(len(PEOPLE))


def photograph(base_url: str, operator: str, team: dict) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        desktop = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="light")
        page = desktop.new_page()
        open_chat(page, base_url, team)
        save(page, "chat-desktop")
        open_group_panel(page)
        save(page, "group-panel")
        page.keyboard.press("Escape")
        page.goto(base_url + "/settings")
        save(page, "settings")
        save(page, "settings-theme", "#theme-section")

        dark = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="dark")
        open_chat(dark.new_page(), base_url, team)
        save(dark.pages[0], "chat-dark")

        phone = browser.new_context(**{key: value for key, value in playwright.devices["Pixel 5"].items()
                                       if key not in ("default_browser_type", "device_scale_factor")})
        open_chat(phone.new_page(), base_url, team)
        save(phone.pages[0], "chat-phone")

        office = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        log_in(office, base_url, operator)
        office.goto(base_url + "/admin/")
        save(office, "admin-dashboard")
        office.goto(base_url + "/admin/report/")
        save(office, "moderation-queue")
        browser.close()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="switchboard-screenshots-") as workdir:
        server = LiveServer(Path(workdir))
        server.migrate()
        server.start()
        try:
            team = demo_data(server)["team"]
            subprocess.run([str(VENV_BIN / "flask"), "create-admin", "operator", "--password", PASSWORD],
                           cwd=ROOT, env=server.environment(), check=True, capture_output=True)
            photograph(server.url, "operator", team)
        finally:
            server.stop()


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    main()
