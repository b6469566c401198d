"""Browser fixtures: Debian's Chromium (the `browser` fixture of tests/conftest.py) driven by
Playwright against the session's live gunicorn server, with users who log in through the real pages."""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
import requests
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.helpers import record_csp_violations
from tests.servers import PASSWORD, ChatUser

# Reconnecting waits out socket.io's backoff (up to 5 s): give every expectation room for it.
expect.set_options(timeout=15_000)


def conversation_selector(conversation_id: int) -> str:
    """The CSS selector of a conversation's row in the chat's list."""
    return f"#conversation-list .conversation[data-conversation-id='{conversation_id}']"


@dataclass
class ChatPage:
    """One logged-in browser tab on the chat page, with what it saw go wrong."""

    page: Page
    context: BrowserContext
    base_url: str
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def watch(self) -> None:
        def refuse_dialog(dialog):
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        self.page.on("dialog", refuse_dialog)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def log_in(self, username: str, password: str = PASSWORD) -> None:
        self.page.goto(self.base_url + "/login")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("#login-form button[type=submit]")
        self.expect_state("online")

    def register(self, username: str, display_name: str, password: str = PASSWORD) -> None:
        self.page.goto(self.base_url + "/register")
        self.page.fill("#username", username)
        self.page.fill("#display_name", display_name)
        self.page.fill("#password", password)
        self.page.fill("#confirm", password)
        self.page.click("#register-form button[type=submit]")
        self.expect_state("online")

    def expect_state(self, state: str) -> None:
        expect(self.page.locator("#connection-status")).to_have_attribute("data-state", state, timeout=20_000)

    def conversation(self, conversation_id: int):
        return self.page.locator(conversation_selector(conversation_id))

    def open(self, conversation_id: int) -> None:
        """Click the conversation in the list: it is the open one at once (sidebar.js marks it aria-current),
        a change of its entry during the click notwithstanding (test_lists_under_the_pointer)."""
        button = self.conversation(conversation_id).locator("button")
        button.click()
        expect(button).to_have_attribute("aria-current", "true")
        expect(self.page.locator("#history-status")).not_to_have_text("Loading messages…")

    def type_and_send(self, text: str) -> None:
        self.page.fill("#composer-input", text)
        self.page.press("#composer-input", "Enter")

    def send_chosen_files(self, caption: str = "") -> None:
        """Files were chosen, dropped or pasted: their preview (file-preview.js) is open; send them."""
        expect(self.page.locator("#file-preview-dialog")).to_be_visible()
        if caption:
            self.page.fill("#file-preview-caption", caption)
        self.page.click("#file-preview-send")

    @property
    def messages(self):
        """Stored messages shown in the open conversation."""
        return self.page.locator("#message-list .message")

    def message_with(self, text: str):
        return self.page.locator("#message-list .message-body", has_text=text)

    def shown_seqs(self) -> list[int]:
        return [int(seq) for seq in self.page.eval_on_selector_all(
            "#message-list .message", "items => items.map(item => item.dataset.seq)")]


@pytest.fixture
def chat_page(browser, live_server) -> Iterator:
    """Open a fresh browser context (its own cookies) on the live server; closed after the test."""
    contexts: list[BrowserContext] = []

    def open_page() -> ChatPage:
        context = browser.new_context(viewport={"width": 1200, "height": 760})
        context.set_default_timeout(15_000)
        contexts.append(context)
        violations = record_csp_violations(context)
        chat = ChatPage(context.new_page(), context, live_server.url, csp_violations=violations)
        chat.watch()
        return chat

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def module_page(browser, live_server) -> Iterator[Page]:
    """A page of the live server that logs nobody in (the login page): for testing the chat's
    DOM-free modules in Chromium with `page.evaluate` and `import("/static/js/chat/…")`
    (helpers.module_script_runner), under the page's own Content-Security-Policy."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server.url + "/login")
    yield page
    context.close()


@pytest.fixture
def page_without_scripts(browser, live_server) -> Iterator[Callable[..., Page]]:
    """A browser with JavaScript off (what a page shows with no script at all): log_in(username, password)
    sends the login form and gives its page, which stays logged in if the password was right."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()

    def log_in(username: str, password: str = PASSWORD) -> Page:
        page.goto(live_server.url + "/login")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("#login-form button[type=submit]")
        return page

    yield log_in
    context.close()


@pytest.fixture
def api_user(live_server):
    """A user registered through the API, who can then log in through the page."""
    def register(prefix: str = "u") -> ChatUser:
        return ChatUser.register(live_server.url, f"{prefix}{uuid.uuid4().hex[:8]}", password=PASSWORD)
    return register


class Operator:
    """An operator (role admin): a bearer token for /api/admin, and a logged-in session for /admin forms."""

    def __init__(self, server):
        self.url = server.url
        self.username = username = f"op{uuid.uuid4().hex[:8]}"
        server.create_operator(username, PASSWORD)
        token = requests.post(self.url + "/api/tokens", json={"username": username, "password": PASSWORD}, timeout=10)
        self.headers = {"Authorization": f"Bearer {token.json()['token']}"}
        self.session = requests.Session()
        login = self.session.get(self.url + "/login", timeout=10)
        logged_in = self.session.post(self.url + "/login", allow_redirects=False, timeout=10, data={
            "username": username, "password": PASSWORD, "csrf_token": self.csrf_token(login.text)})
        assert logged_in.status_code == 302, logged_in.text

    @staticmethod
    def csrf_token(page: str) -> str:
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    def admin_api(self, path: str, body: dict | None = None, status: int = 201) -> dict:
        """POST to the operators' API (/api/admin) and check the answer's status: 201 for what it creates,
        200 for an operation on an account (suspend, deactivate, reactivate)."""
        response = requests.post(self.url + "/api/admin" + path, json=body, headers=self.headers, timeout=10)
        assert response.status_code == status, response.text
        return response.json()

    def hide(self, message_id: int) -> None:
        """The back office's one-click hide, as an operator's browser posts it."""
        context = self.session.get(f"{self.url}/admin/message/context/?id={message_id}", timeout=10)
        hidden = self.session.post(f"{self.url}/admin/message/moderate/{message_id}/hide", allow_redirects=False,
                                   data={"csrf_token": self.csrf_token(context.text)}, timeout=10)
        assert hidden.status_code == 302, hidden.text[:500]

    def delete_file(self, attachment_id: int) -> None:
        """The back office's Files panel deleting one file, as an operator's browser posts it."""
        listing = self.session.get(f"{self.url}/admin/attachment/", timeout=10)
        deleted = self.session.post(f"{self.url}/admin/attachment/delete/", allow_redirects=False, timeout=10,
                                    data={"id": str(attachment_id), "csrf_token": self.csrf_token(listing.text)})
        assert deleted.status_code == 302, deleted.text[:500]


@pytest.fixture
def operator(live_server) -> Operator:
    return Operator(live_server)
