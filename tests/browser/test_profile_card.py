"""Profiles in the chat page: pictures next to others' messages, the profile card a click on a
name or picture opens (status, presence, local time; message, add contact, block, report), a
picture change reaching an open page live, and the /settings picture cropper."""
from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.helpers import assert_nothing_went_wrong, group_with, open_as, post

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def png(width: int, height: int, colour: str = "red") -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(output, "PNG")
    return output.getvalue()


def test_the_profile_card_opens_from_a_name_and_acts_on_the_person(chat_page, api_user):
    alice_account, bob_account = api_user("al"), api_user("bob")
    bob_account.api("PATCH", "/me", json={"display_name": "Bob Builder", "status_text": "Fixing <things>",
                                          "time_zone": "Asia/Shanghai"})
    group = group_with(alice_account, bob_account)
    post(bob_account, group["id"], f"hello {uuid.uuid4().hex[:6]}")
    alice = open_as(chat_page, alice_account, group["id"])
    theirs = alice.messages.first
    avatar = theirs.locator("img.message-avatar")
    expect(avatar).to_have_attribute("src", f"/api/users/{bob_account.id}/avatar?v=" + avatar.get_attribute(
        "src").split("?v=")[1])
    # The picture is drawn (loaded and decoded), not a broken image: loading is asynchronous, so wait for it.
    alice.page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=avatar.element_handle())

    theirs.locator(".message-sender").click()
    card = alice.page.locator("#profile-card")
    expect(card).to_be_visible()
    expect(card.locator("#profile-card-name")).to_have_text("Bob Builder")
    expect(card.locator("#profile-card-status")).to_have_text("Fixing <things>")  # text, never HTML
    expect(card.locator("#profile-card-time")).to_contain_text(":")
    expect(card.locator("#profile-card-presence")).to_have_text("offline")
    expect(card.locator("#profile-report")).to_be_visible()

    # Report: the report dialog for the message the card was opened from.
    card.locator("#profile-report").click()
    expect(alice.page.locator("#report-dialog")).to_be_visible()
    expect(alice.page.locator("#report-quote")).to_contain_text("hello")
    alice.page.locator("#report-dialog [data-close]").click()
    expect(alice.page.locator("#report-dialog")).to_be_hidden()

    # Message: a direct chat with them opens.
    avatar.click()
    expect(card).to_be_visible()
    card.locator("#profile-message").click()
    expect(card).to_be_hidden()
    expect(alice.page.locator("#conversation-title")).to_have_text("Bob Builder")
    expect(alice.page.locator("#conversation-avatar")).to_be_visible()

    # Add contact: the request reaches bob (the contacts API of docs/protocol.md).
    alice.page.locator("#conversation-avatar").click()
    card.locator("#profile-add-contact").click()
    expect(alice.page.locator("#toast-region .toast.info")).to_contain_text("Contact request sent")
    incoming = bob_account.api("GET", "/contacts/requests").json()
    assert alice_account.id in [request["requester"]["id"] for request in incoming["incoming"]]

    # Block, after confirming: bob can no longer message alice directly.
    card.locator("#profile-block").click()
    alice.page.locator("#confirm-button").click()
    expect(alice.page.locator("#toast-region .toast.info").last).to_contain_text("blocked")
    direct = next(conversation for conversation in bob_account.api("GET", "/conversations").json()["conversations"]
                  if conversation.get("peer", {}).get("id") == alice_account.id)
    refused = bob_account.api("POST", f"/conversations/{direct['id']}/messages", json={"body": "let me in"})
    assert refused.status_code == 403
    # Their card now offers Unblock (and neither Message nor Block); unblocking lets bob write again.
    alice.page.locator("#conversation-avatar").click()
    expect(card.locator("#profile-unblock")).to_be_visible()
    expect(card.locator("#profile-block")).to_be_hidden()
    card.locator("#profile-unblock").click()
    expect(card.locator("#profile-block")).to_be_visible()
    expect(card.locator("#profile-unblock")).to_be_hidden()
    assert bob_account.api("POST", f"/conversations/{direct['id']}/messages", json={"body": "hi"}).status_code == 201
    assert_nothing_went_wrong(alice)


def test_a_new_picture_reaches_an_open_page_and_the_own_card_links_to_settings(chat_page, api_user):
    alice_account, bob_account = api_user("al"), api_user("bob")
    group = group_with(alice_account, bob_account)
    post(bob_account, group["id"], "before the picture")
    alice = open_as(chat_page, alice_account, group["id"])
    avatar = alice.messages.first.locator("img.message-avatar")
    before = avatar.get_attribute("src")
    uploaded = bob_account.api("POST", "/me/avatar", files={"file": ("b.png", png(90, 90, "blue"), "image/png")})
    assert uploaded.status_code == 200
    new_url = uploaded.json()["user"]["avatar_url"]
    expect(avatar).to_have_attribute("src", new_url + "&size=small")
    assert new_url != before.replace("&size=small", "")

    # The group's owner changes its picture from the header: the list shows it (conversation:updated).
    listed = alice.conversation(group["id"]).locator("img.avatar-image")
    initials = listed.get_attribute("src")
    expect(alice.page.locator("#group-picture-button")).to_be_visible()
    alice.page.set_input_files("#group-picture-input", files=[{"name": "g.png", "mimeType": "image/png",
                                                               "buffer": png(120, 80, "green")}])
    expect(listed).not_to_have_attribute("src", initials)
    group_url = bob_account.api("GET", f"/conversations/{group['id']}").json()["conversation"]["avatar_url"]
    assert listed.get_attribute("src") == group_url + "&size=small" and "?v=i" not in group_url

    alice.page.locator("#me-avatar").click()
    card = alice.page.locator("#profile-card")
    expect(card.locator("#profile-edit")).to_be_visible()
    expect(card.locator("#profile-block")).to_be_hidden()
    assert_nothing_went_wrong(alice)


def test_the_settings_page_crops_and_uploads_a_picture(chat_page, api_user, tmp_path):
    account = api_user("al")
    alice = chat_page()
    alice.log_in(account.username)
    alice.page.goto(alice.base_url + "/settings")
    wide = tmp_path / "wide.png"
    image = Image.new("RGB", (400, 200), "blue")
    image.paste(Image.new("RGB", (200, 200), "red"), (200, 0))  # the right half red
    image.save(wide)
    alice.page.set_input_files("#avatar-file", str(wide))
    expect(alice.page.locator("#avatar-cropper")).to_be_visible()
    # Drag the picture left: the square kept moves right, onto the red half.
    frame = alice.page.locator("#avatar-crop-frame").bounding_box()
    centre = (frame["x"] + frame["width"] / 2, frame["y"] + frame["height"] / 2)
    alice.page.mouse.move(*centre)
    alice.page.mouse.down()
    alice.page.mouse.move(centre[0] - 400, centre[1], steps=5)
    alice.page.mouse.up()
    alice.page.click("#avatar-save")
    expect(alice.page.locator("#avatar-cropper")).to_be_hidden()
    profile = account.api("GET", "/me").json()["user"]
    assert profile["has_avatar"]
    expect(alice.page.locator("#profile-picture")).to_have_attribute("src", profile["avatar_url"] + "&size=large")
    picture = account.api("GET", f"/users/{account.id}/avatar?size=small", allow_redirects=True)
    pixel = Image.open(io.BytesIO(picture.content)).convert("RGB").getpixel((32, 32))
    assert pixel[0] > 200 and pixel[2] < 60, pixel  # red: the square the drag chose
    assert_nothing_went_wrong(alice)
