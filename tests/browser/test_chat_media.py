"""Media in the chat page, in Chromium against the live server (local storage backend): images
as thumbnails that open full size, voice and video in HTML5 players, other files as cards with
a download button; files dropped on the conversation or pasted into the composer; and the
progress bar of a large file that goes straight to storage."""
from __future__ import annotations

import base64
import io
import math
import struct
import wave

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_nothing_went_wrong, two_in_a_group
from tests.files.samples import PDF_BYTES, png_bytes
from tests.servers import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]

VOICE_SECONDS = 1.0


def wav_bytes(seconds: float = VOICE_SECONDS, rate: int = 8000) -> bytes:
    """A real, playable mono WAV: a 440 Hz tone."""
    output = io.BytesIO()
    with wave.open(output, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        sound.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate)))
                                   for n in range(int(seconds * rate))))
    return output.getvalue()


# A real WebM (VP8) clip, recorded by the browser itself from a canvas: nothing else here makes video.
RECORD_VIDEO = """async () => {
  const canvas = Object.assign(document.createElement("canvas"), {width: 160, height: 120});
  const context = canvas.getContext("2d");
  let frame = 0;
  const paint = () => { context.fillStyle = frame++ % 2 ? "#0f8f6f" : "#c0392b"; context.fillRect(0, 0, 160, 120); };
  paint();
  const recorder = new MediaRecorder(canvas.captureStream(25), {mimeType: "video/webm"});
  const chunks = [];
  recorder.ondataavailable = (event) => chunks.push(event.data);
  const painter = setInterval(paint, 40);
  const stopped = new Promise((resolve) => { recorder.onstop = resolve; });
  recorder.start();
  await new Promise((resolve) => setTimeout(resolve, 700));
  recorder.stop();
  await stopped;
  clearInterval(painter);
  return Array.from(new Uint8Array(await new Blob(chunks).arrayBuffer()));
}"""

# Real DragEvent / ClipboardEvent objects carrying a DataTransfer with a File, built in the page.
MAKE_TRANSFER = """({name, type, data, text}) => {
  const transfer = new DataTransfer();
  if (data !== undefined) {
    const bytes = Uint8Array.from(atob(data), (character) => character.charCodeAt(0));
    transfer.items.add(new File([bytes], name, {type}));
  }
  if (text !== undefined) transfer.setData("text/plain", text);
  window.testTransfer = transfer;
}"""
DISPATCH = """([selector, Event, type]) => {
  const event = new window[Event](type, {bubbles: true, cancelable: true,
    [Event === "ClipboardEvent" ? "clipboardData" : "dataTransfer"]: window.testTransfer});
  return !document.querySelector(selector).dispatchEvent(event);  // true: the page handled it
}"""


def carry(chat, name: str | None = None, content_type: str = "", data: bytes | None = None,
          text: str | None = None) -> None:
    payload = {"name": name, "type": content_type, "text": text}
    if data is not None:
        payload["data"] = base64.b64encode(data).decode()
    chat.page.evaluate(MAKE_TRANSFER, payload)


def dispatch(chat, selector: str, event_class: str, event_type: str) -> bool:
    return chat.page.evaluate(DISPATCH, [selector, event_class, event_type])


def media_state(chat, selector: str) -> dict:
    return chat.page.locator(selector).evaluate(
        "media => ({ready: media.readyState, duration: media.duration, time: media.currentTime,"
        " width: media.videoWidth ?? null, error: media.error && media.error.code})")


def test_images_voice_video_and_files_each_show_in_their_own_way(chat_page, api_user):
    _, _, group, alice, bob = two_in_a_group(chat_page, api_user)
    video = bytes(alice.page.evaluate(RECORD_VIDEO))
    alice.page.set_input_files("#file-input", files=[
        {"name": "red.png", "mimeType": "image/png", "buffer": png_bytes(400, 300)},
        {"name": "hello.wav", "mimeType": "audio/wav", "buffer": wav_bytes()},
        {"name": "clip.webm", "mimeType": "video/webm", "buffer": video},
        {"name": "notes & plans.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES},
    ])
    alice.send_chosen_files()
    expect(bob.messages).to_have_count(4)
    listed = bob.page.locator("#message-list")
    expect(listed.locator(".attachment")).to_have_class(
        ["attachment attachment-image", "attachment attachment-voice", "attachment attachment-video",
         "attachment attachment-file"])

    # The image: a 320 px thumbnail; a click opens the 400 px original over the page.
    thumbnail = listed.locator("img.attachment-image")
    wait_for(lambda: thumbnail.evaluate("image => image.complete && image.naturalWidth") == 320, what="thumbnail")
    thumbnail.click()
    viewer = bob.page.locator("#image-viewer")
    expect(viewer).to_be_visible()
    expect(viewer.locator("#image-viewer-name")).to_have_text("red.png")
    full = viewer.locator("#image-viewer-image")
    wait_for(lambda: full.evaluate("image => image.complete && image.naturalWidth") == 400, what="full image")
    bob.page.screenshot(path="/tmp/media-viewer.png")
    bob.page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    assert bob.page.url == f"{bob.base_url}/#c{group}"  # still on the chat page
    thumbnail.click()  # and its Close button closes it
    expect(viewer).to_be_visible()
    bob.page.click("#image-viewer-close")
    expect(viewer).to_be_hidden()

    # Voice and video: the players load the real media, and it plays.
    wait_for(lambda: media_state(bob, "#message-list audio.attachment-player")["ready"] >= 1, what="voice metadata")
    assert media_state(bob, "#message-list audio.attachment-player")["duration"] == pytest.approx(VOICE_SECONDS,
                                                                                                 abs=0.05)
    wait_for(lambda: media_state(bob, "#message-list video.attachment-player")["width"] == 160, what="video frame")
    for selector in ("#message-list audio.attachment-player", "#message-list video.attachment-player"):
        bob.page.locator(selector).evaluate("media => { media.muted = true; return media.play(); }")
        wait_for(lambda selector=selector: media_state(bob, selector)["time"] > 0, what=f"{selector} playing")
        assert media_state(bob, selector)["error"] is None

    # Any other file: a card with its name, size and a download button that saves the original.
    card = listed.locator(".attachment-file .attachment-card")
    expect(card.locator(".attachment-name")).to_have_text("notes & plans.pdf")
    expect(card.locator(".attachment-size")).to_have_text(f"{len(PDF_BYTES)} B")
    with bob.page.expect_download() as download_info:
        card.get_by_role("link", name="Download").click()
    download = download_info.value
    assert download.suggested_filename == "notes & plans.pdf"
    with open(download.path(), "rb") as saved:
        assert saved.read() == PDF_BYTES
    bob.page.screenshot(path="/tmp/media-messages.png", full_page=True)
    assert_nothing_went_wrong(alice, bob)


def test_files_dropped_on_the_conversation_or_pasted_into_the_composer_are_sent(chat_page, api_user):
    _, _, _, alice, bob = two_in_a_group(chat_page, api_user)

    carry(alice, "dropped.png", "image/png", png_bytes(200, 100))
    hint = alice.page.locator("#drop-hint")
    assert dispatch(alice, "#message-scroller", "DragEvent", "dragenter") is False
    expect(hint).to_be_visible()
    alice.page.screenshot(path="/tmp/media-drop-hint.png")
    assert dispatch(alice, "#message-scroller", "DragEvent", "dragover") is True  # the drop is accepted
    assert dispatch(alice, "#message-scroller", "DragEvent", "drop") is True
    expect(hint).to_be_hidden()
    alice.send_chosen_files()
    expect(bob.page.locator("#message-list .attachment-name")).to_have_text(["dropped.png"])
    expect(bob.page.locator("#message-list img.attachment-image")).to_have_count(1)

    # A file dropped beside the conversation does not make the browser leave the chat to show it.
    assert dispatch(alice, "#conversation-list", "DragEvent", "drop") is True
    expect(bob.messages).to_have_count(1)

    alice.page.fill("#composer-input", "a caption I am still writing")
    carry(alice, "pasted.pdf", "application/pdf", PDF_BYTES)
    assert dispatch(alice, "#composer-input", "ClipboardEvent", "paste") is True
    alice.send_chosen_files()
    expect(bob.page.locator("#message-list .attachment-name")).to_have_text(["dropped.png", "pasted.pdf"])
    expect(alice.page.locator("#composer-input")).to_have_value("a caption I am still writing")

    # Pasted text stays text: the page leaves it to the browser, nothing is uploaded.
    carry(alice, text="just words")
    assert dispatch(alice, "#composer-input", "ClipboardEvent", "paste") is False
    alice.type_and_send("done")
    expect(bob.messages).to_have_count(3)
    expect(bob.messages.last.locator(".message-body")).to_have_text("done")
    assert_nothing_went_wrong(alice, bob)


# Every <progress> the page shows while uploading, as it shows it.
WATCH_PROGRESS = """() => {
  window.progressSeen = [];
  new MutationObserver(() => {
    for (const bar of document.querySelectorAll("#pending-list progress")) window.progressSeen.push(bar.value);
  }).observe(document.querySelector("#pending-list"), {childList: true, subtree: true, attributes: true});
}"""
LARGE_FILE = """([name, size]) => {
  const bytes = new Uint8Array(size).fill(32);
  bytes.set(new TextEncoder().encode("%PDF-1.4\\n"));
  window.testTransfer = new DataTransfer();
  window.testTransfer.items.add(new File([bytes], name, {type: "application/pdf"}));
}"""


def test_a_large_file_goes_straight_to_storage_behind_a_progress_bar(chat_page, api_user):
    _, _, _, alice, bob = two_in_a_group(chat_page, api_user)
    size = 9 * 1024 * 1024  # above attachments.js DIRECT_UPLOAD_BYTES (8 MiB)
    straight_to_storage = []
    alice.page.on("request", lambda request: "/files/local-upload/" in request.url
                  and straight_to_storage.append(request.method))
    # Slow the upload down (4 MiB/s) so the bar is seen moving; downloads stay at full speed.
    network = alice.context.new_cdp_session(alice.page)
    network.send("Network.enable")
    network.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                      "uploadThroughput": 4 * 1024 * 1024})
    alice.page.evaluate(WATCH_PROGRESS)
    alice.page.evaluate(LARGE_FILE, ["big report.pdf", size])
    assert dispatch(alice, "#message-scroller", "DragEvent", "drop") is True
    alice.send_chosen_files()

    bar = alice.page.locator("#pending-list progress.upload-progress")
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("aria-label", "Uploading big report.pdf")
    wait_for(lambda: 0.1 < bar.evaluate("bar => bar.value") < 0.9, what="a bar part way")
    alice.page.screenshot(path="/tmp/media-progress.png")
    expect(bob.messages).to_have_count(1)
    expect(bar).to_have_count(0)
    expect(alice.page.locator("#pending-list .message")).to_have_count(0)
    network.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                      "uploadThroughput": -1})

    seen = alice.page.evaluate("window.progressSeen")
    assert seen == sorted(seen) and len(set(seen)) >= 3 and seen[-1] > 0.9, seen
    assert straight_to_storage == ["POST"]
    for chat in (alice, bob):
        card = chat.page.locator("#message-list .attachment-file .attachment-card")
        expect(card.locator(".attachment-name")).to_have_text("big report.pdf")
        expect(card.locator(".attachment-size")).to_have_text("9.0 MB")
    assert_nothing_went_wrong(alice, bob)


def test_a_file_chosen_offline_is_uploaded_and_sent_when_the_connection_is_back(chat_page, api_user):
    """As a text written offline is: no Retry to click; the bubble says it waits for the connection."""
    alice_account, _, group, alice, bob = two_in_a_group(chat_page, api_user)
    uploads = []
    alice.page.on("request", lambda request: "/files" in request.url and uploads.append(request.url))
    alice.context.set_offline(True)
    alice.expect_state("offline")
    alice.page.set_input_files("#file-input", files=[
        {"name": "offline notes.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES},
        {"name": "offline.png", "mimeType": "image/png", "buffer": png_bytes(40, 30)}])
    alice.send_chosen_files("made on the train")
    pending = alice.page.locator("#pending-list .message")
    expect(pending).to_have_count(2)
    expect(pending.locator(".message-pending-note")).to_have_text(["sent when the connection is back"] * 2)
    expect(pending.get_by_role("button", name="Retry")).to_have_count(0)
    assert uploads == []  # not tried while offline

    alice.context.set_offline(False)
    alice.expect_state("online")
    expect(bob.page.locator("#message-list .attachment-name")).to_have_text(["offline notes.pdf", "offline.png"])
    expect(bob.messages.first.locator(".message-body")).to_have_text("made on the train")
    expect(pending).to_have_count(0)
    assert [message["body"] for message in alice_account.api(
        "GET", f"/conversations/{group}/messages", params={"after": 0}).json()["messages"]] == ["made on the train", ""]
    assert_nothing_went_wrong(alice, bob)


def send_a_pdf(chat, name: str) -> None:
    """Choose one PDF in the page and send it (a message of its own)."""
    chat.page.set_input_files("#file-input", files=[{"name": name, "mimeType": "application/pdf", "buffer": PDF_BYTES}])
    chat.send_chosen_files()


def stored_with_files(account, group) -> list[tuple[str, str | None]]:
    """The conversation's stored messages, oldest first: (body, the attached file's name or None)."""
    stored = account.api("GET", f"/conversations/{group}/messages", params={"after": 0}).json()["messages"]
    return [(message["body"], (message.get("attachment") or {}).get("filename")) for message in stored]


def hold_the_first_upload(chat) -> list:
    """The page's first upload through the server is held, its route in the list returned, until the test
    continues or aborts it (a route handler runs while Playwright is called: poll with page.evaluate)."""
    held = []

    def hold(route):
        if route.request.method == "POST" and not held:
            held.append(route)
        else:
            route.continue_()

    chat.page.route("**/api/conversations/*/files", hold)
    return held


def test_a_file_chosen_offline_while_earlier_ones_upload_is_sent_too(chat_page, api_user):
    """A second drop while the first reconnect's files are still uploading: a file chosen during it is
    sent once the connection is back, not left waiting behind the pass already under way; and what was written
    meanwhile goes in its place, between the two files."""
    alice_account, _, group, alice, bob = two_in_a_group(chat_page, api_user)
    held = hold_the_first_upload(alice)
    alice.context.set_offline(True)
    alice.expect_state("offline")
    send_a_pdf(alice, "first.pdf")
    alice.context.set_offline(False)
    alice.expect_state("online")
    wait_for(lambda: alice.page.evaluate("true") and held, what="first.pdf's upload, held")

    alice.page.evaluate("window.switchboardSocket.disconnect()")
    alice.expect_state("offline")
    alice.type_and_send("while the first uploads")
    send_a_pdf(alice, "second.pdf")
    pending = alice.page.locator("#pending-list .message", has_text="second.pdf")
    expect(pending.locator(".message-pending-note")).to_have_text("sent when the connection is back")
    alice.page.evaluate("window.switchboardSocket.connect()")
    wait_for(lambda: alice.page.evaluate("window.switchboard.sender.queuedAgain"),
             what="the reconnect's flush(), which asks the pass under way for another turn")
    held[0].continue_()

    expect(bob.page.locator("#message-list .attachment-name")).to_have_text(["first.pdf", "second.pdf"])
    expect(alice.page.locator("#pending-list .message")).to_have_count(0)
    assert stored_with_files(alice_account, group) == [
        ("", "first.pdf"), ("while the first uploads", None), ("", "second.pdf")]
    assert_nothing_went_wrong(alice, bob)


def test_a_file_waiting_for_the_connection_can_be_discarded(chat_page, api_user):
    _, _, _, alice, bob = two_in_a_group(chat_page, api_user)
    uploads = []
    alice.page.on("request", lambda request: request.method == "POST" and "/files" in request.url
                  and uploads.append(request.url))
    alice.context.set_offline(True)
    alice.expect_state("offline")
    alice.page.set_input_files("#file-input", files=[
        {"name": "keep.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES},
        {"name": "changed my mind.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}])
    alice.send_chosen_files()
    pending = alice.page.locator("#pending-list .message")
    expect(pending.locator(".message-pending-note")).to_have_text(["sent when the connection is back"] * 2)
    pending.filter(has_text="changed my mind.pdf").get_by_role("button", name="Discard").click()
    expect(pending).to_have_count(1)
    expect(pending.locator(".attachment-name")).to_have_text("keep.pdf")

    alice.context.set_offline(False)
    alice.expect_state("online")
    expect(bob.page.locator("#message-list .attachment-name")).to_have_text(["keep.pdf"])
    expect(pending).to_have_count(0)
    assert len(uploads) == 1  # the discarded file never left the browser
    assert_nothing_went_wrong(alice, bob)


def test_what_was_written_offline_arrives_in_the_order_written(chat_page, api_user):
    """A text written after a file chosen offline waits for the file's message; one written before goes first."""
    alice_account, _, group, alice, bob = two_in_a_group(chat_page, api_user)
    alice.context.set_offline(True)
    alice.expect_state("offline")
    alice.type_and_send("before the file")
    send_a_pdf(alice, "the file.pdf")
    alice.type_and_send("after the file")
    expect(alice.page.locator("#pending-list .message")).to_have_count(3)

    alice.context.set_offline(False)
    alice.expect_state("online")
    expect(bob.messages).to_have_count(3)
    expect(alice.page.locator("#pending-list .message")).to_have_count(0)
    assert stored_with_files(alice_account, group) == [
        ("before the file", None), ("", "the file.pdf"), ("after the file", None)]
    expect(bob.messages.nth(1).locator(".attachment-name")).to_have_text("the file.pdf")
    expect(bob.messages.nth(2).locator(".message-body")).to_have_text("after the file")
    assert_nothing_went_wrong(alice, bob)


def test_a_text_written_while_a_file_uploads_goes_after_the_files_message(chat_page, api_user):
    """Online too: one conversation's messages are stored in the order written (sender.js), so a text written
    during an upload waits for the file's message, and says so."""
    alice_account, _, group, alice, bob = two_in_a_group(chat_page, api_user)
    held = hold_the_first_upload(alice)
    send_a_pdf(alice, "slow.pdf")
    wait_for(lambda: alice.page.evaluate("true") and held, what="the upload, held")
    alice.type_and_send("written during the upload")
    waiting = alice.page.locator("#pending-list .message", has_text="written during the upload")
    expect(waiting.locator(".message-pending-note")).to_have_text("sent after the message above")
    held[0].continue_()

    expect(bob.messages).to_have_count(2)
    expect(bob.messages.nth(0).locator(".attachment-name")).to_have_text("slow.pdf")
    expect(bob.messages.nth(1).locator(".message-body")).to_have_text("written during the upload")
    expect(alice.page.locator("#pending-list .message")).to_have_count(0)
    assert stored_with_files(alice_account, group) == [
        ("", "slow.pdf"), ("written during the upload", None)]
    assert_nothing_went_wrong(alice, bob)


def test_an_upload_cut_before_the_socket_notices_waits_for_the_connection(chat_page, api_user):
    """The network goes during an upload: the browser aborts it (internetdisconnected) while the socket still
    looks connected. The file waits for the connection, as one chosen offline does, instead of failing."""
    _, _, _, alice, bob = two_in_a_group(chat_page, api_user)
    held = hold_the_first_upload(alice)
    send_a_pdf(alice, "cut.pdf")
    wait_for(lambda: alice.page.evaluate("true") and held, what="the upload, held")
    # The browser knows it is offline; the socket has not noticed (set_offline() would close it at once).
    alice.page.evaluate("Object.defineProperty(navigator, 'onLine', {get: () => false, configurable: true})")
    held[0].abort("internetdisconnected")

    pending = alice.page.locator("#pending-list .message")
    expect(pending.locator(".message-pending-note")).to_have_text("sent when the connection is back")
    expect(pending.get_by_role("button", name="Retry")).to_have_count(0)
    assert alice.page.evaluate("window.switchboardSocket.connected")  # still: no reconnect will flush it
    alice.page.evaluate("delete navigator.onLine; window.dispatchEvent(new Event('online'))")  # back
    expect(bob.page.locator("#message-list .attachment-name")).to_have_text(["cut.pdf"])
    expect(pending).to_have_count(0)
    assert_nothing_went_wrong(alice, bob)


def test_an_upload_the_storage_could_not_take_goes_again_by_itself_and_what_follows_it_too(chat_page, api_user):
    """storage_unavailable (S3 down a moment): the file is uploaded again after 2 s without a click, and the text
    written after it, which waits for it to keep the order written, follows (sender.js retryLater)."""
    alice_account, _, group, alice, bob = two_in_a_group(chat_page, api_user)
    refused = []

    def refuse_the_first(route):
        if route.request.method == "POST" and not refused:
            refused.append(route.request.url)
            route.fulfill(status=503, content_type="application/json", headers={"Retry-After": "1"},
                          body='{"error": {"code": "storage_unavailable", "message": "Storage is unavailable."}}')
        else:
            route.continue_()

    alice.page.route("**/api/conversations/*/files", refuse_the_first)
    send_a_pdf(alice, "again.pdf")
    expect(alice.page.locator("#pending-list .message.failed")).to_have_count(1)
    alice.type_and_send("written after the file")

    expect(bob.messages).to_have_count(2, timeout=15_000)
    expect(bob.messages.nth(0).locator(".attachment-name")).to_have_text("again.pdf")
    expect(bob.messages.nth(1).locator(".message-body")).to_have_text("written after the file")
    expect(alice.page.locator("#pending-list .message")).to_have_count(0)
    assert len(refused) == 1
    assert stored_with_files(alice_account, group) == [
        ("", "again.pdf"), ("written after the file", None)]
    assert_nothing_went_wrong(alice, bob)


def test_a_voice_note_keeps_playing_when_its_message_changes(chat_page, api_user):
    """Someone reacts to a voice note while it plays (its message is drawn again): it plays on, from where it was,
    as in WhatsApp Web."""
    alice_account, _, group, alice, bob = two_in_a_group(chat_page, api_user)
    alice.page.set_input_files("#file-input", files=[
        {"name": "long.wav", "mimeType": "audio/wav", "buffer": wav_bytes(seconds=20)}])
    alice.send_chosen_files()
    player = bob.page.locator("#message-list audio.attachment-player")
    wait_for(lambda: media_state(bob, "#message-list audio.attachment-player")["ready"] >= 1, what="voice metadata")
    player.evaluate("media => { window.playing = media; media.muted = true; return media.play(); }")
    wait_for(lambda: media_state(bob, "#message-list audio.attachment-player")["time"] > 0.3, what="playing")

    message_id = int(bob.messages.last.get_attribute("data-id"))
    assert alice_account.api("POST", f"/messages/{message_id}/reactions", json={"emoji": "👍"}).status_code == 200
    expect(bob.messages.last.locator(".reaction")).to_have_count(1)
    played = media_state(bob, "#message-list audio.attachment-player")["time"]
    assert player.evaluate("media => media === window.playing && !media.paused"), "the player was replaced or paused"
    wait_for(lambda: media_state(bob, "#message-list audio.attachment-player")["time"] > played + 0.3,
             what="still playing")
    assert_nothing_went_wrong(alice, bob)
