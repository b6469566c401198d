"""actions/profiles.py and blueprints/api/profiles.py through the Flask test client: profile
fields, pictures (upload, crop, sizes, serving with access checks), and who is told live."""
from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from actions.errors import ActionError
from actions.profiles import set_avatar
from events import atomic
from events import facts as f
from extensions import db
from storage import get_storage
from storage.avatars import AVATAR_SIZES, avatar_object_key
from tests.factories import make_group, make_user
from tests.helpers import bearer, database_rows, error_of


def image_bytes(width: int, height: int, colour="red", kind="PNG", left_colour=None) -> bytes:
    """An image; with `left_colour` its left half is that colour (to see which part a crop kept)."""
    image = Image.new("RGB", (width, height), colour)
    if left_colour:
        image.paste(Image.new("RGB", (width // 2, height), left_colour), (0, 0))
    output = io.BytesIO()
    image.save(output, kind)
    return output.getvalue()


def upload(client, user, data: bytes, path="/api/me/avatar", headers=None, **fields):
    form = {**{name: str(value) for name, value in fields.items()}, "file": (io.BytesIO(data), "me.png")}
    return client.post(path, data=form, headers=headers or bearer(user), content_type="multipart/form-data")


def stored(key: str) -> Image.Image:
    with get_storage().open(key) as stream:
        return Image.open(io.BytesIO(stream.read()))


# the profile fields

def test_a_user_changes_name_status_and_time_zone(client, alice):
    response = client.patch("/api/me", json={"display_name": " Alice L. ", "status_text": "At the beach",
                                             "time_zone": "Asia/Shanghai"}, headers=bearer(alice))
    assert response.status_code == 200
    user = response.get_json()["user"]
    assert (user["display_name"], user["status_text"], user["time_zone"]) == ("Alice L.", "At the beach",
                                                                             "Asia/Shanghai")
    assert client.get("/api/me", headers=bearer(alice)).get_json()["user"]["status_text"] == "At the beach"
    # Fields not given are kept; null clears the time zone.
    user = client.patch("/api/me", json={"time_zone": None}, headers=bearer(alice)).get_json()["user"]
    assert (user["display_name"], user["time_zone"]) == ("Alice L.", None)


@pytest.mark.parametrize("body, code", [
    ({"display_name": ""}, "invalid_display_name"),
    ({"display_name": "x" * 65}, "invalid_display_name"),
    ({"display_name": "a\u0000b"}, "invalid_display_name"),
    ({"status_text": "x" * 141}, "invalid_status_text"),
    ({"status_text": 5}, "invalid_status_text"),
    ({"time_zone": "Mars/Olympus"}, "invalid_time_zone"),
    ({"time_zone": 8}, "invalid_time_zone"),
    ({"role": "admin"}, "invalid_field"),
])
def test_bad_profile_fields_are_refused_and_change_nothing(client, alice, body, code):
    headers = bearer(alice)
    before = database_rows()
    assert error_of(client.patch("/api/me", json=body, headers=headers)) == (400, code)
    assert database_rows() == before


def test_the_profile_card_shows_presence_only_to_whom_it_is_allowed(client, alice, bob, socket_client_for):
    bob.status_text, bob.time_zone = "Busy", "Europe/Paris"
    db.session.commit()
    card = client.get(f"/api/users/{bob.id}", headers=bearer(alice)).get_json()["user"]
    assert card["status_text"] == "Busy" and card["time_zone"] == "Europe/Paris" and card["online"] is False
    socket_client_for("bob")
    assert client.get(f"/api/users/{bob.id}", headers=bearer(alice)).get_json()["user"]["online"] is True
    bob.active = False
    db.session.commit()
    assert error_of(client.get(f"/api/users/{bob.id}", headers=bearer(alice))) == (404, "user_not_found")


# pictures

def test_an_uploaded_picture_is_cropped_square_and_stored_in_three_sizes(client, alice):
    response = upload(client, alice, image_bytes(300, 200, "blue", left_colour="red"))
    assert response.status_code == 200, response.get_json()
    user = response.get_json()["user"]
    db.session.refresh(alice)
    assert user["has_avatar"] and alice.avatar_key.startswith(f"avatars/{alice.id}/")
    assert user["avatar_url"] == f"/api/users/{alice.id}/avatar?v={alice.avatar_key.rsplit('/', 1)[1]}"
    for size, edge in AVATAR_SIZES.items():
        picture = stored(avatar_object_key(alice.avatar_key, size))
        assert (picture.format, picture.size) == ("JPEG", (edge, edge))
    # The centred 200x200 square of a 300x200 image: red from x=50 to 150, blue after.
    large = stored(avatar_object_key(alice.avatar_key, "large")).convert("RGB")
    assert large.getpixel((100, 256))[0] > 200 and large.getpixel((400, 256))[2] > 200


def test_a_crop_square_keeps_that_part(client, alice):
    response = upload(client, alice, image_bytes(300, 200, "blue", left_colour="red"), crop_x=0, crop_y=0,
                      crop_size=150)
    assert response.status_code == 200
    db.session.refresh(alice)
    small = stored(avatar_object_key(alice.avatar_key, "small")).convert("RGB")
    assert small.getpixel((32, 32))[0] > 200 and small.getpixel((32, 32))[2] < 60  # all red


@pytest.mark.parametrize("data, fields, status, code", [
    (b"%PDF-1.4 not a picture", {}, 415, "type_not_allowed"),
    (b"", {}, 400, "empty_file"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, {}, 422, "invalid_image"),
    (image_bytes(300, 200), {"crop_x": 200, "crop_y": 0, "crop_size": 150}, 422, "invalid_crop"),
    (image_bytes(300, 200), {"crop_x": 0, "crop_y": 0}, 400, "invalid_crop"),
    (image_bytes(300, 200), {"crop_x": -1, "crop_y": 0, "crop_size": 20}, 400, "invalid_crop"),
    (image_bytes(10, 10), {}, 422, "image_too_small"),
])
def test_bad_pictures_are_refused_and_change_nothing(client, alice, data, fields, status, code):
    headers = bearer(alice)
    before = database_rows()
    assert error_of(upload(client, alice, data, headers=headers, **fields)) == (status, code)
    assert database_rows() == before


def test_pictures_over_the_limits_are_refused(app, client, alice):
    app.config["AVATAR_MAX_BYTES"] = 1000
    assert error_of(upload(client, alice, image_bytes(400, 400, kind="BMP"))) == (413, "file_too_large")
    app.config["AVATAR_MAX_BYTES"] = 5_000_000
    app.config["THUMBNAIL_MAX_PIXELS"] = 100 * 100
    assert error_of(upload(client, alice, image_bytes(200, 200))) == (422, "image_too_large")
    db.session.refresh(alice)
    assert alice.avatar_key is None


def test_a_picture_claiming_more_pixels_than_pillow_opens_is_too_large(client, alice):
    """Pillow itself refuses to open 20000x20000 (a decompression bomb): the same answer as for any
    picture past THUMBNAIL_MAX_PIXELS, not `invalid_image`."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    claimed = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0))
               + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b""))
    headers = bearer(alice)
    before = database_rows()
    assert error_of(upload(client, alice, claimed, headers=headers)) == (422, "image_too_large")
    assert database_rows() == before


def test_a_sixteen_bit_greyscale_picture_keeps_its_shade(client, alice):
    sixteen_bit = io.BytesIO()
    Image.new("I;16", (128, 128), 40000).save(sixteen_bit, "PNG")
    assert upload(client, alice, sixteen_bit.getvalue()).status_code == 200
    db.session.refresh(alice)
    assert stored(avatar_object_key(alice.avatar_key, "small")).convert("L").getpixel((32, 32)) in range(148, 164)


def test_replacing_or_removing_a_picture_deletes_the_old_images(client, alice):
    upload(client, alice, image_bytes(64, 64))
    db.session.refresh(alice)
    first = alice.avatar_key
    upload(client, alice, image_bytes(64, 64, "green"))
    db.session.refresh(alice)
    assert alice.avatar_key != first
    storage = get_storage()
    assert all(storage.head(avatar_object_key(first, size)) is None for size in AVATAR_SIZES)
    second = alice.avatar_key
    user = client.delete("/api/me/avatar", headers=bearer(alice)).get_json()["user"]
    assert not user["has_avatar"] and "?v=i" in user["avatar_url"]
    assert all(storage.head(avatar_object_key(second, size)) is None for size in AVATAR_SIZES)


def test_a_picture_stored_for_a_unit_that_does_not_commit_is_deleted(app, alice):
    """Its three sizes stay only with the row that names them: a request refused after the picture was
    stored (here by hand; a failed COMMIT does the same) leaves nothing in storage."""
    root = Path(app.config["STORAGE_LOCAL_PATH"])
    with pytest.raises(ActionError), atomic():
        set_avatar(alice, io.BytesIO(image_bytes(64, 64)), None, None)
        assert len([path for path in root.rglob("*") if path.is_file()]) == len(AVATAR_SIZES)
        raise ActionError("later", "refused after the picture was stored")
    assert [path for path in root.rglob("*") if path.is_file()] == []
    db.session.refresh(alice)
    assert alice.avatar_key is None


def test_pictures_are_served_to_signed_in_users_only(client, alice, bob):
    svg = client.get(f"/api/users/{alice.id}/avatar", headers=bearer(bob))
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert b">A<" in svg.data and "sandbox" in svg.headers["Content-Security-Policy"]
    upload(client, alice, image_bytes(100, 100))
    redirected = client.get(f"/api/users/{alice.id}/avatar?size=small", headers=bearer(bob))
    assert redirected.status_code == 302
    picture = client.get(redirected.headers["Location"])
    assert picture.status_code == 200 and Image.open(io.BytesIO(picture.data)).size == (64, 64)
    assert error_of(client.get(f"/api/users/{alice.id}/avatar?size=huge", headers=bearer(bob))) == (
        400, "invalid_size")
    assert error_of(client.get(f"/api/users/{alice.id}/avatar"))[0] == 401
    assert error_of(client.get("/api/users/999999/avatar", headers=bearer(bob))) == (404, "user_not_found")


def test_the_initials_picture_escapes_the_name_and_takes_its_colour_from_the_id(client, alice, bob):
    alice.display_name = '<script>alert(1)</script> & "x"'
    db.session.commit()
    svg = client.get(f"/api/users/{alice.id}/avatar", headers=bearer(bob)).data.decode()
    assert "<script" not in svg and "&lt;" in svg
    other = client.get(f"/api/users/{bob.id}/avatar", headers=bearer(alice)).data.decode()
    assert svg.split('fill="')[1][:7] != other.split('fill="')[1][:7]  # consecutive ids, different colours


def test_group_pictures_are_set_by_managers_and_seen_by_members(client, alice, bob, carol):
    group = make_group(alice, "Team", [bob], visibility="private")
    assert error_of(upload(client, bob, image_bytes(80, 80), f"/api/groups/{group.id}/avatar")) == (
        403, "not_a_group_admin")
    response = upload(client, alice, image_bytes(80, 80), f"/api/groups/{group.id}/avatar")
    assert response.status_code == 200
    url = response.get_json()["conversation"]["avatar_url"]
    assert url.startswith(f"/api/groups/{group.id}/avatar?v=")
    assert client.get(url, headers=bearer(bob)).status_code == 302
    assert error_of(client.get(url, headers=bearer(carol))) == (403, "not_a_member")
    assert client.delete(f"/api/groups/{group.id}/avatar", headers=bearer(alice)).get_json()[
        "conversation"]["avatar_url"].split("?v=")[1].startswith("i")
    public = make_group(alice, "Open", [], visibility="public")
    assert client.get(f"/api/groups/{public.id}/avatar", headers=bearer(carol)).status_code == 200


# what is told, and to whom

def test_messages_and_members_carry_the_senders_picture(client, alice, bob, group):
    sent = client.post(f"/api/conversations/{group.id}/messages", json={"body": "hi"}, headers=bearer(alice))
    sender = sent.get_json()["message"]["sender"]
    assert sender["avatar_url"].startswith(f"/api/users/{alice.id}/avatar?v=") and sender["has_avatar"] is False
    members = client.get(f"/api/conversations/{group.id}/members", headers=bearer(bob)).get_json()["members"]
    assert all(member["avatar_url"].startswith(f"/api/users/{member['id']}/avatar") for member in members)


def test_a_profile_change_is_told_to_everyone_who_shares_a_conversation(client, alice, bob, carol, group,
                                                                        captured_events):
    dave = make_user("dave")  # shares nothing with alice
    client.patch("/api/me", json={"status_text": "Away"}, headers=bearer(alice))
    (fact,) = captured_events
    assert isinstance(fact, f.ProfileChanged) and fact.user_id == alice.id
    assert set(fact.recipients.user_ids) == {alice.id, bob.id} and dave.id not in fact.recipients.user_ids
    captured_events.clear()
    client.patch("/api/me", json={"status_text": "Away"}, headers=bearer(alice))
    assert captured_events == []  # nothing changed: nothing told


def test_open_pages_receive_user_updated_live(client, alice, bob, carol, group, socket_client_for):
    bob_socket, carol_socket = socket_client_for("bob"), socket_client_for("carol")
    upload(client, alice, image_bytes(64, 64))
    received = [event for event in bob_socket.get_received() if event["name"] == "user:updated"]
    assert len(received) == 1
    user = received[0]["args"][0]["user"]
    assert user["id"] == alice.id and user["has_avatar"] is True and "status_text" in user
    assert [e for e in carol_socket.get_received() if e["name"] == "user:updated"] == []


def test_a_group_picture_change_reaches_its_members_as_conversation_updated(client, alice, bob, group,
                                                                            captured_events):
    upload(client, alice, image_bytes(64, 64), f"/api/groups/{group.id}/avatar")
    assert captured_events == [f.ConversationUpdated(group.id)]


# the settings page

def test_the_settings_page_edits_the_profile(client, auth, alice):
    auth.login("alice")
    page = client.get("/settings").get_data(as_text=True)
    assert 'id="profile-section"' in page and f"/api/users/{alice.id}/avatar?v=" in page
    assert '<option value="Asia/Shanghai">' in page
    response = client.post("/settings/profile", data={"display_name": "Alice <b>", "status_text": "Hi",
                                                      "time_zone": "Asia/Shanghai"})
    assert response.status_code == 302
    db.session.refresh(alice)
    assert (alice.display_name, alice.status_text, alice.time_zone) == ("Alice <b>", "Hi", "Asia/Shanghai")
    page = client.get("/settings").get_data(as_text=True)
    assert "Alice &lt;b&gt;" in page and "Alice <b>" not in page  # user-written text is escaped
    assert '<option value="Asia/Shanghai" selected>' in page
    client.post("/settings/profile", data={"display_name": "", "status_text": "", "time_zone": "Nowhere/Land"},
                follow_redirects=True)
    db.session.refresh(alice)
    assert alice.display_name == "Alice <b>" and alice.time_zone == "Asia/Shanghai"  # refused whole


def test_the_settings_page_words_a_profile_refusal_for_people_in_their_language(client, auth, alice):
    """A display name of spaces only (the browser's `required` lets it through) flashed the API's English words
    for programs, 'display_name must not be empty.', to a Chinese page too."""
    auth.login("alice")
    for language, expected in (("en", "A display name has 1 to 64 characters, without control characters."),
                               ("zh-CN", "显示名称为 1 到 64 个字，且不能含控制字符。")):
        page = client.post("/settings/profile", data={"display_name": "   ", "status_text": "", "time_zone": ""},
                           headers={"Accept-Language": language}, follow_redirects=True).get_data(as_text=True)
        assert expected in page and "display_name" not in page.split('class="flash-list"')[1].split("</ul>")[0]


def test_the_settings_page_removes_the_picture(client, auth, alice):
    upload(client, alice, image_bytes(64, 64))
    auth.login("alice")
    assert 'id="avatar-remove"' in client.get("/settings").get_data(as_text=True)
    client.post("/settings/avatar/remove")
    db.session.refresh(alice)
    assert alice.avatar_key is None


def test_pictures_are_decoded_on_the_pool_of_native_threads(client, alice, monkeypatch):
    """Never on the event loop: actions.profiles hands make_avatar_images to offload.run_off_loop."""
    import actions.profiles
    import offload

    handed = []

    def recording(function, *args, **kwargs):
        handed.append(function.__name__)
        return offload.run_off_loop(function, *args, **kwargs)

    monkeypatch.setattr(actions.profiles, "run_off_loop", recording)
    assert upload(client, alice, image_bytes(64, 64)).status_code == 200
    assert handed == ["make_avatar_images"]


def test_a_picture_larger_than_one_read_arrives_whole(client, alice):
    """The multipart part is read in chunks: a photo of some hundred kilobytes is decoded whole."""
    noisy = Image.effect_noise((700, 700), 80).convert("RGB")
    output = io.BytesIO()
    noisy.save(output, "PNG")
    assert len(output.getvalue()) > 300_000
    assert upload(client, alice, output.getvalue()).status_code == 200


def test_the_gateway_carries_the_senders_picture_as_from_user_head_img(client, alice, group):
    from gateway.adapter import message_fields
    from models import Message

    upload(client, alice, image_bytes(64, 64))
    client.post(f"/api/conversations/{group.id}/messages", json={"body": "hi"}, headers=bearer(alice))
    message = db.session.execute(db.select(Message).where(Message.conversation_id == group.id)
                                 .order_by(Message.id.desc())).scalars().first()
    db.session.refresh(alice)
    fields = message_fields(message)
    assert fields["fromUserHeadImg"] == f"/api/users/{alice.id}/avatar?v={alice.avatar_key.rsplit('/', 1)[1]}"
    assert client.get(fields["fromUserHeadImg"], headers=bearer(alice)).status_code == 302


def test_a_picture_url_with_a_malformed_version_is_refused(client, alice):
    assert error_of(client.get(f"/api/users/{alice.id}/avatar?v=a%00b", headers=bearer(alice))) == (
        400, "invalid_version")
    assert client.get(f"/api/users/{alice.id}/avatar?v=anything-1_2", headers=bearer(alice)).status_code == 200


# operators

def test_an_operator_removes_an_offensive_picture_and_status_line(client, alice, bob, group, operator,
                                                                  captured_events):
    from actions.profiles import reset_profile
    from models import AuditEntry

    upload(client, bob, image_bytes(64, 64))
    bob.status_text = "something offensive"
    db.session.commit()
    db.session.refresh(bob)
    old_key = bob.avatar_key
    captured_events.clear()
    with pytest.raises(Exception) as refused:
        reset_profile(alice, bob.id)
    assert getattr(refused.value, "code", None) == "not_an_operator"
    db.session.rollback()
    reset_profile(operator, bob.id)
    db.session.refresh(bob)
    assert bob.avatar_key is None and bob.status_text == ""
    assert get_storage().head(avatar_object_key(old_key, "small")) is None
    (fact,) = captured_events
    assert isinstance(fact, f.ProfileChanged) and alice.id in fact.recipients.user_ids
    entry = db.session.execute(db.select(AuditEntry).where(AuditEntry.action == "user.reset_profile")).scalar_one()
    assert entry.before == {"had_picture": True, "status_text": "something offensive"}


def test_the_back_office_offers_the_profile_reset(client, auth, bob, operator):
    bob.status_text = "rude words"
    db.session.commit()
    auth.login("operator")
    page = client.get(f"/admin/user/manage/?id={bob.id}").get_data(as_text=True)
    assert "rude words" in page and f"/admin/user/manage/{bob.id}/reset-profile" in page
    assert client.post(f"/admin/user/manage/{bob.id}/reset-profile").status_code == 302
    db.session.refresh(bob)
    assert bob.status_text == ""


def test_a_deleted_groups_picture_leaves_storage(client, alice, bob, group, operator):
    from actions.group_admin import delete_group
    from tests.helpers import run_queued_jobs

    upload(client, alice, image_bytes(64, 64), f"/api/groups/{group.id}/avatar")
    db.session.refresh(group)
    key = group.avatar_key
    delete_group(operator, group.id)
    run_queued_jobs()
    assert all(get_storage().head(avatar_object_key(key, size)) is None for size in AVATAR_SIZES)


def test_ones_own_profile_shows_ones_own_presence(client, alice, socket_client_for):
    """docs/protocol.md: a Profile's `online` is null only where privacy or a block hides it, and
    nothing hides one's own: GET /api/me and the answers of one's profile changes say it."""
    headers = bearer(alice)
    assert client.get("/api/me", headers=headers).get_json()["user"]["online"] is False
    socket_client_for("alice")
    assert client.get("/api/me", headers=headers).get_json()["user"]["online"] is True
    assert client.patch("/api/me", json={"status_text": "Here"}, headers=headers).get_json()["user"]["online"] is True
    assert client.delete("/api/me/avatar", headers=headers).get_json()["user"]["online"] is True
    assert client.get(f"/api/users/{alice.id}", headers=headers).get_json()["user"]["online"] is True


def test_a_blocker_shows_the_person_they_blocked_only_their_name_and_initials(client, alice, bob, carol, group,
                                                                             socket_client_for):
    """Alice blocks Bob: he went on fetching her uploaded picture, reading her status line and time zone,
    and hearing each change of them (user:updated), though Telegram and WhatsApp hide a blocker's photo and
    about from the person blocked. Now her picture's URL (the same for everyone) answers Bob the initials
    picture, not to be kept; her card and her user:updated have no status line or time zone for him (her
    name stays live). Carol, and Alice looking at Bob, see everything as before; unblocking shows it again."""
    make_group(alice, "Both", [bob, carol])
    upload(client, alice, image_bytes(100, 100))
    client.patch("/api/me", json={"status_text": "Away", "time_zone": "Asia/Shanghai"}, headers=bearer(alice))
    upload(client, bob, image_bytes(100, 100))
    assert client.post("/api/blocks", json={"user_id": bob.id}, headers=bearer(alice)).status_code == 201
    picture_url = client.get(f"/api/users/{alice.id}", headers=bearer(bob)).get_json()["user"]["avatar_url"]

    hidden = client.get(picture_url, headers=bearer(bob))
    assert hidden.status_code == 200 and hidden.mimetype == "image/svg+xml" and b">A<" in hidden.data
    assert hidden.headers["Cache-Control"] == "no-store"
    assert client.get(picture_url, headers=bearer(carol)).status_code == 302
    assert client.get(f"/api/users/{bob.id}/avatar", headers=bearer(alice)).status_code == 302  # one way
    card = client.get(f"/api/users/{alice.id}", headers=bearer(bob)).get_json()["user"]
    assert (card["status_text"], card["time_zone"], card["online"]) == ("", None, None)
    assert card["avatar_url"] == picture_url and card["has_avatar"] is True  # the User is everyone's
    carols = client.get(f"/api/users/{alice.id}", headers=bearer(carol)).get_json()["user"]
    assert (carols["status_text"], carols["time_zone"]) == ("Away", "Asia/Shanghai")

    bob_socket, carol_socket = socket_client_for("bob"), socket_client_for("carol")
    client.patch("/api/me", json={"status_text": "Busy", "display_name": "Alice L"}, headers=bearer(alice))

    def updated(socket):
        (event,) = [event for event in socket.get_received() if event["name"] == "user:updated"]
        user = event["args"][0]["user"]
        return user["display_name"], user["status_text"], user["time_zone"]
    assert updated(bob_socket) == ("Alice L", "", None)
    assert updated(carol_socket) == ("Alice L", "Busy", "Asia/Shanghai")

    assert client.delete(f"/api/blocks/{bob.id}", headers=bearer(alice)).status_code == 200
    assert client.get(picture_url, headers=bearer(bob)).status_code == 302
    assert client.get(f"/api/users/{alice.id}", headers=bearer(bob)).get_json()["user"]["status_text"] == "Busy"


def test_a_blocker_changing_what_the_person_they_blocked_cannot_see_tells_them_nothing(client, alice, bob, carol,
                                                                                       socket_client_for):
    """Alice blocked Bob: a user:updated for her status line, time zone or picture, which he does not see,
    still reached him (the same frame each time), telling him when she was active, which the block hides
    (her presence). He hears only a change of her name; Carol hears every change."""
    make_group(alice, "Both", [bob, carol])
    assert client.post("/api/blocks", json={"user_id": bob.id}, headers=bearer(alice)).status_code == 201
    bob_socket, carol_socket = socket_client_for("bob"), socket_client_for("carol")
    client.patch("/api/me", json={"status_text": "At the dentist"}, headers=bearer(alice))
    client.patch("/api/me", json={"time_zone": "Asia/Tokyo"}, headers=bearer(alice))
    upload(client, alice, image_bytes(100, 100))
    client.delete("/api/me/avatar", headers=bearer(alice))
    client.patch("/api/me", json={"display_name": "Alice L"}, headers=bearer(alice))  # the marker

    def names(socket):
        return [event["args"][0]["user"]["display_name"] for event in socket.get_received()
                if event["name"] == "user:updated"]
    assert names(bob_socket) == ["Alice L"]
    assert len(names(carol_socket)) == 5
