"""static/js/attachments.js in Chromium against a live server on each backend: uploads with
progress (through the server and direct), refusals, and the DOM it builds, with no
Content-Security-Policy violation (S3: the bucket's origin is allowed for images and uploads)."""
from __future__ import annotations

import pytest

from tests.browser.helpers import deliver_reports, record_csp_violations
from tests.files.live import wait_for_thumbnail
from tests.files.samples import ELF_BYTES, PDF_BYTES, png_bytes
from tests.integration.chat import group_with
from tests.servers import ChatUser

pytestmark = [pytest.mark.integration, pytest.mark.browser]

UPLOAD_SCRIPT = """
async ({conversationId, name, type, bytes, direct}) => {
  const files = await import("/static/js/attachments.js");
  const progress = [];
  try {
    const attachment = await files.uploadFile(conversationId, new File([new Uint8Array(bytes)], name, {type}),
                                              {direct, onProgress: (fraction) => progress.push(fraction)});
    return {attachment, progress};
  } catch (error) {
    return {error: {code: error.code, status: error.status, name: error.name}, progress};
  }
}
"""

RENDER_SCRIPT = """
async (message) => {
  const files = await import("/static/js/attachments.js");
  const box = files.renderAttachment(message);
  document.body.append(box);
  const image = box.querySelector("img");
  if (image) await new Promise((resolve) => image.complete ? resolve() : image.addEventListener("load", resolve));
  return {
    html: box.outerHTML,
    imageWidth: image ? image.naturalWidth : null,
    name: box.querySelector(".attachment-name")?.textContent ?? null,
    download: box.querySelector(".attachment-download")?.getAttribute("href") ?? null,
    removed: box.querySelector(".attachment-removed-text")?.textContent ?? null,
  };
}
"""


@pytest.fixture
def page(browser, server):
    alice, bob = ChatUser.register(server.url), ChatUser.register(server.url)
    group = group_with(alice, bob)
    context = browser.new_context()
    violations = record_csp_violations(context)
    tab = context.new_page()
    tab.goto(server.url + "/login")
    tab.fill("#username", alice.username)
    tab.fill("#password", "correct horse battery")
    tab.click("#login-form button[type=submit]")
    tab.wait_for_url(lambda url: "/login" not in url)
    yield tab, alice, group
    deliver_reports(tab)
    assert violations == []
    context.close()


def upload(tab, group, name, content_type, data, direct=False):
    return tab.evaluate(UPLOAD_SCRIPT, {"conversationId": group["id"], "name": name, "type": content_type,
                                        "bytes": list(data), "direct": direct})


def test_uploads_send_and_render(page):
    tab, alice, group = page
    image = upload(tab, group, "red dot <b>.png", "image/png", png_bytes(400, 300))
    assert image["attachment"]["status"] == "ready" and image["progress"][-1] == 1
    document = upload(tab, group, "notes.pdf", "application/pdf", PDF_BYTES, direct=True)
    assert document["attachment"]["status"] == "ready" and document["attachment"]["size"] == len(PDF_BYTES)

    wait_for_thumbnail(alice, image["attachment"]["id"])  # made by the job consumer after the upload
    messages = [alice.api("POST", f"/conversations/{group['id']}/messages",
                          json={"attachment_id": uploaded["attachment"]["id"]}).json()["message"]
                for uploaded in (image, document)]
    shown_image = tab.evaluate(RENDER_SCRIPT, messages[0])
    assert shown_image["imageWidth"] == 320  # the thumbnail, loaded through the redirect
    without_thumbnail = {**messages[0]["attachment"], "has_thumbnail": False, "thumbnail_url": None}
    assert tab.evaluate(RENDER_SCRIPT, {**messages[0], "attachment": without_thumbnail})["imageWidth"] == 400
    assert shown_image["name"] == "red dot <b>.png" and "<b>" not in shown_image["html"]
    shown_file = tab.evaluate(RENDER_SCRIPT, messages[1])
    assert shown_file["download"] == f"/files/{document['attachment']['id']}?download=1"
    removed = tab.evaluate(RENDER_SCRIPT, {**messages[1], "attachment": {"id": 1, "status": "deleted"}})
    assert removed["removed"] == "File removed"


def test_refusals_reach_the_page(page):
    tab, _, group = page
    refused = upload(tab, group, "tool.png", "image/png", ELF_BYTES)
    assert refused["error"] == {"code": "type_not_allowed", "status": 415, "name": "Error"}
    mismatch = upload(tab, group, "fake.pdf", "application/pdf", b"%PDX" + PDF_BYTES[4:], direct=True)
    assert mismatch["error"]["code"] == "upload_mismatch"
