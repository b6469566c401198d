"""Files are previewed before they are sent (issue 8): choosing, dropping or pasting files opens a
preview (a thumbnail for an image; name, size and type otherwise) with a caption field; Cancel or
Esc sends nothing, Send sends each file with the caption as the text of the first one's message."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import axe_violations
from tests.browser.helpers import assert_nothing_went_wrong, stored_bodies, two_in_a_group
from tests.files.samples import PDF_BYTES, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.integration]

IMAGE = {"name": "red.png", "mimeType": "image/png", "buffer": png_bytes(64, 48)}
PDF = {"name": "notes <b>.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}


def test_a_preview_with_a_caption_comes_before_files_are_sent(chat_page, api_user):
    alice_account, _, group, alice, bob = two_in_a_group(chat_page, api_user)
    dialog = alice.page.locator("#file-preview-dialog")

    alice.page.set_input_files("#file-input", files=[IMAGE, PDF])
    expect(dialog).to_be_visible()
    expect(alice.page.locator("#file-preview-title")).to_have_text("Send 2 files")
    expect(alice.page.locator("#file-preview-caption")).to_be_focused()
    # The caption becomes the message's text: it takes as much as the composer does (MESSAGE_MAX_LENGTH).
    limit = alice.page.locator("#composer-input").get_attribute("data-max-length")
    assert limit and int(limit) > 0
    expect(alice.page.locator("#file-preview-caption")).to_have_attribute("maxlength", limit)
    thumbnail = dialog.locator("img.file-preview-image")
    expect(thumbnail).to_have_attribute("alt", "red.png")
    alice.page.wait_for_function("image => image.complete && image.naturalWidth === 64", arg=thumbnail.element_handle())
    items = dialog.locator(".file-preview-item")
    expect(items.nth(1).locator(".file-preview-name")).to_have_text("notes <b>.pdf")
    expect(items.nth(1).locator(".attachment-size")).to_have_text(f"{len(PDF_BYTES)} B · application/pdf")
    assert dialog.locator("b").count() == 0
    assert axe_violations(alice.page) == []
    alice.page.screenshot(path="/tmp/file-preview.png")

    # Cancel sends nothing, nor does Esc; a message sent afterwards is the only one Bob gets.
    alice.page.click("#file-preview-cancel")
    expect(dialog).to_be_hidden()
    alice.page.set_input_files("#file-input", files=[PDF])
    expect(dialog).to_be_visible()
    expect(alice.page.locator("#file-preview-title")).to_have_text("Send 1 file")
    alice.page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(alice.page.locator("#composer-input")).to_be_focused()
    alice.type_and_send("after cancelling")
    expect(bob.messages).to_have_count(1)
    expect(bob.messages.first.locator(".message-body")).to_have_text("after cancelling")
    assert alice.page.locator("#pending-list .message").count() == 0
    assert stored_bodies(alice_account, group) == ["after cancelling"]

    # Send with a caption: it is the text of the (first) file's message, formatted like any text.
    alice.page.set_input_files("#file-input", files=[IMAGE, PDF])
    items.filter(has_text="notes <b>.pdf").get_by_role("button", name="Remove file notes <b>.pdf").click()
    expect(items).to_have_count(1)
    alice.send_chosen_files("look at **this**")
    expect(dialog).to_be_hidden()
    expect(bob.messages).to_have_count(2)
    arrived = bob.messages.last
    expect(arrived.locator("img.attachment-image")).to_have_count(1)
    expect(arrived.locator(".message-body")).to_have_text("look at this")
    expect(arrived.locator(".message-body strong")).to_have_text("this")
    assert stored_bodies(alice_account, group) == ["after cancelling", "look at **this**"]

    # As in the composer, Enter in the caption sends and Shift+Enter adds a line.
    alice.page.set_input_files("#file-input", files=[PDF])
    expect(alice.page.locator("#file-preview-caption")).to_be_focused()
    alice.page.keyboard.type("line one")
    alice.page.keyboard.press("Shift+Enter")
    alice.page.keyboard.type("line two")
    expect(dialog).to_be_visible()
    alice.page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(bob.messages).to_have_count(3)
    assert stored_bodies(alice_account, group) == ["after cancelling", "look at **this**", "line one\nline two"]
    assert_nothing_went_wrong(alice, bob)


# A file of `size` bytes, made in the page, put on the file input as the browser's picker would (`change`),
# or carried by a paste into the composer; `small` adds a small one beside it.
OFFER_FILE = """([how, size, small]) => {
  const transfer = new DataTransfer();
  transfer.items.add(new File([new Uint8Array(size)], "holiday video.mp4", {type: "video/mp4"}));
  if (small) transfer.items.add(new File(["%PDF-1.4 notes"], "notes.pdf", {type: "application/pdf"}));
  if (how === "choose") {
    const input = document.getElementById("file-input");
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", {bubbles: true}));
  } else {
    document.getElementById("composer-input").dispatchEvent(
      new ClipboardEvent("paste", {bubbles: true, cancelable: true, clipboardData: transfer}));
  }
}"""


def test_a_file_over_the_size_limit_is_refused_at_once_before_any_upload(chat_page, api_user):
    """The page knows the server's limit (UPLOAD_MAX_BYTES, 25 MiB by default, on #file-input) and refuses a
    larger file as it is chosen, dropped or pasted: no upload starts, the toast says the limit readably."""
    alice_account, _, group, alice, bob = two_in_a_group(chat_page, api_user)
    limit = int(alice.page.locator("#file-input").get_attribute("data-max-bytes"))
    assert limit == 25 * 1024 * 1024  # config.py's default, which the live server runs with
    uploads = []
    alice.page.on("request", lambda request: "/files" in request.url and uploads.append(request.url))
    toasts = alice.page.locator("#toast-region .toast")

    # Chosen with a small file: the large one is refused, the small one is previewed and goes.
    alice.page.evaluate(OFFER_FILE, ["choose", limit + 1, True])
    expect(toasts).to_have_text(["holiday video.mp4 is too large to send: files can be at most 25 MB."])
    expect(alice.page.locator("#file-preview-list .file-preview-name")).to_have_text(["notes.pdf"])
    alice.send_chosen_files()
    expect(bob.page.locator("#message-list .attachment-name")).to_have_text(["notes.pdf"])
    assert len(uploads) == 1  # the small file's

    # Pasted alone: refused, nothing to preview; a file of exactly the limit is not refused.
    alice.page.evaluate(OFFER_FILE, ["paste", limit + 1, False])
    expect(toasts).to_have_count(2)
    expect(alice.page.locator("#file-preview-dialog")).to_be_hidden()
    alice.page.evaluate(OFFER_FILE, ["paste", limit, False])
    expect(alice.page.locator("#file-preview-list .file-preview-name")).to_have_text(["holiday video.mp4"])
    alice.page.click("#file-preview-cancel")
    assert len(uploads) == 1
    assert stored_bodies(alice_account, group) == [""]

    # On a Chinese page, in Chinese, with the same readable size.
    chinese = chat_page()
    chinese.context.set_extra_http_headers({"Accept-Language": "zh-CN"})
    chinese.log_in(alice_account.username)
    chinese.open(group)
    chinese.page.evaluate(OFFER_FILE, ["choose", limit + 1, False])
    expect(chinese.page.locator("#toast-region .toast")).to_have_text(
        ["holiday video.mp4 太大，无法发送：文件最大为 25 MB。"])
    expect(chinese.page.locator("#file-preview-dialog")).to_be_hidden()
    assert_nothing_went_wrong(alice, bob, chinese)


def test_files_chosen_right_after_a_cancel_are_shown_alone(chat_page, api_user):
    """A dialog's close event comes a task after it closed: files chosen in that moment (here in the
    same task as the Cancel) were shown with the cancelled ones ("Send 3 files"), then the list emptied."""
    _, _, _, alice, _ = two_in_a_group(chat_page, api_user)
    dialog = alice.page.locator("#file-preview-dialog")
    alice.page.set_input_files("#file-input", files=[IMAGE, PDF])
    expect(alice.page.locator("#file-preview-title")).to_have_text("Send 2 files")

    alice.page.evaluate("""() => {
      document.querySelector("#file-preview-cancel").click();
      const chosen = new DataTransfer();
      chosen.items.add(new File(["one"], "one.pdf", { type: "application/pdf" }));
      const input = document.querySelector("#file-input");
      input.files = chosen.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }""")
    alice.page.evaluate("() => new Promise((done) => setTimeout(done, 0))")  # the close event has come
    expect(dialog).to_be_visible()
    expect(alice.page.locator("#file-preview-title")).to_have_text("Send 1 file")
    expect(dialog.locator(".file-preview-name")).to_have_text(["one.pdf"])
