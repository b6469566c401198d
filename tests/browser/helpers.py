"""Helpers of the chat page tests: set up conversations through the API, read what was stored,
and check that a page saw nothing go wrong."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from playwright.sync_api import BrowserContext, Page, expect

from tests.integration.chat import group_with
from tests.integration.chat import post as post  # the browser tests' kit: posted through the API
from tests.servers import ChatUser

if TYPE_CHECKING:
    from tests.browser.conftest import ChatPage

# Every page of the context reports its securitypolicyviolation events through this binding.
CSP_BINDING = "reportCspViolation"
CSP_LISTENER = f"""
document.addEventListener("securitypolicyviolation", (event) => {{
  const where = `${{event.blockedURI || "inline"}} in ${{event.documentURI}}`;
  const sample = event.sample ? `: ${{event.sample}}` : "";
  window.{CSP_BINDING}(`${{event.effectiveDirective}} refused ${{where}}${{sample}}`);
}});
"""


def record_csp_violations(context: BrowserContext) -> list[str]:
    """The Content-Security-Policy violations of every page of `context`, as they happen: the
    pages' securitypolicyviolation events and the console's reports of refused loads."""
    violations: list[str] = []
    context.expose_binding(CSP_BINDING, lambda _source, text: violations.append(text))
    context.add_init_script(CSP_LISTENER)

    def console(message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            violations.append(f"console: {message.text}")

    context.on("console", console)
    return violations


def module_script_runner(page: Page, prelude: str) -> Callable[[str], Any]:
    """Runs script bodies in `page` (a `module_page`) after `prelude`, which imports the static/js
    modules under test and defines the helpers the bodies use; each run returns what its body returns."""
    return lambda body: page.evaluate(f"async () => {{\n{prelude}\n{body}\n}}")


# Opens this user's outbox database (outbox-store.js) as `database`: the start of the scripts below.
OPEN_OUTBOX = """
  const me = JSON.parse(document.getElementById("app").dataset.me);
  const database = await new Promise((resolve, reject) => {
    const opening = indexedDB.open(`switchboard-outbox-${me.id}`, 1);
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
  });
"""
# The entries this user's page kept on disk, as they are stored.
KEPT_OUTBOX = "async () => {" + OPEN_OUTBOX + """
  const entries = await new Promise((resolve) => {
    const reading = database.transaction("entries").objectStore("entries").getAll();
    reading.onsuccess = () => resolve(reading.result);
  });
  database.close();
  return entries;
}"""
# Writes `entries` into it as they are, as a page that has since been closed left them.
KEEP_IN_OUTBOX = "async (entries) => {" + OPEN_OUTBOX + """
  const writing = database.transaction("entries", "readwrite");
  for (const entry of entries) writing.objectStore("entries").put(entry);
  await new Promise((resolve, reject) => {
    writing.oncomplete = resolve;
    writing.onerror = () => reject(writing.error);
  });
  database.close();
}"""


def kept_outbox(chat: ChatPage) -> list[dict]:
    """The unsent messages the page kept on disk (outbox-store.js)."""
    return chat.page.evaluate(KEPT_OUTBOX)


def keep_in_outbox(chat: ChatPage, entries: list[dict]) -> None:
    chat.page.evaluate(KEEP_IN_OUTBOX, entries)


# Every message:send the page emits from now on is listed (window.sentBodies) and handed to HANDLE, a JS function
# (payload, ack, send, argument): `send()` lets it go to the server, `ack(answer)` answers it as the server would.
INTERCEPT_SENDS = """(argument) => {
  const socket = window.switchboardSocket;
  const emit = socket.emit.bind(socket);
  const handle = HANDLE;
  window.sentBodies = [];
  socket.emit = (event, payload, ack) => {
    if (event !== "message:send") return emit(event, payload, ack);
    window.sentBodies.push(payload.body);
    handle(payload, ack, () => emit(event, payload, ack), argument);
    return socket;
  };
}"""


def intercept_sends(chat: ChatPage, handle: str, argument: object = None) -> None:
    """The page's message:send events go through `handle` (INTERCEPT_SENDS) from now on."""
    chat.page.evaluate(INTERCEPT_SENDS.replace("HANDLE", handle), argument)


def sent_bodies(chat: ChatPage) -> list[str]:
    """The bodies of the message:send events the page emitted since intercept_sends."""
    return chat.page.evaluate("window.sentBodies")


def reopen(chat: ChatPage, conversation_id: int) -> None:
    """Close the tab and open the chat page again in a new one of the same browser (its storage)."""
    if not chat.page.is_closed():
        chat.page.close()
    chat.page = chat.context.new_page()
    chat.watch()
    chat.page.goto(chat.base_url + f"/#c{conversation_id}")
    chat.expect_state("online")


def open_as(chat_page: Callable[[], ChatPage], account: ChatUser, conversation_id: int) -> ChatPage:
    """A new chat page (the `chat_page` fixture's) where `account` logged in and opened `conversation_id`."""
    chat = chat_page()
    chat.log_in(account.username)
    chat.open(conversation_id)
    return chat


def alone_in_a_group(chat_page, api_user):
    """Alice, the only member of a private group, on the chat page with it open."""
    account = api_user("al")
    group = group_with(account)["id"]
    return account, group, open_as(chat_page, account, group)


def two_in_a_group(chat_page, api_user):
    """Alice and Bob in a private group, each on the chat page with it open."""
    alice_account, bob_account = api_user("al"), api_user("bob")
    group = group_with(alice_account, bob_account)["id"]
    alice, bob = open_as(chat_page, alice_account, group), open_as(chat_page, bob_account, group)
    return alice_account, bob_account, group, alice, bob


def stored_bodies(user: ChatUser, conversation_id: int) -> list[str]:
    response = user.api("GET", f"/conversations/{conversation_id}/messages", params={"after": 0, "limit": 100})
    return [message["body"] for message in response.json()["messages"]]


def page_user_id(chat) -> int:
    return chat.page.evaluate("JSON.parse(document.getElementById('app').dataset.me).id")


def deliver_reports(page) -> None:
    """Let the page's queued tasks run (securitypolicyviolation events are dispatched in one) and
    Playwright deliver what they reported: events reach Python only while Playwright is called."""
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 0))")


def contact_item(chat, user_id: int):
    """A contact's entry in the sidebar's contacts list."""
    return chat.page.locator(f"#contact-list .contact-item[data-user-id='{user_id}']")


def member_row(chat, user_id: int):
    """A member's row in the group panel."""
    return chat.page.locator(f"#group-panel-members .member-item[data-user-id='{user_id}']")


def press_on(chat, locator) -> None:
    """The mouse is pressed (not yet released) in the middle of `locator`: what changes before the release
    must not lose the click (test_lists_under_the_pointer)."""
    box = locator.bounding_box()
    chat.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    chat.page.mouse.down()


def assert_nothing_went_wrong(*chats) -> None:
    for chat in chats:
        deliver_reports(chat.page)
        assert chat.dialogs == []
        assert chat.errors == []
        assert chat.csp_violations == []


def expect_signed_out_notice(chat, text: str = "You were signed out.") -> None:
    """The chat page heard session:ended (docs/protocol.md): it says why, is cut and does not
    reconnect; its 'Log in again' leads to the login page (its cookies sign nobody in any more)."""
    notice = chat.page.locator("#session-ended")
    expect(notice).to_be_visible()
    expect(chat.page.locator("#session-ended-text")).to_have_text(text)
    chat.expect_state("offline")
    assert chat.page.evaluate("window.switchboardSocket.active") is False  # no reconnection pending
    notice.get_by_role("link", name="Log in again").click()
    expect(chat.page.locator("#login-form")).to_be_visible()
