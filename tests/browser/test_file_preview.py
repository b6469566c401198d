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
