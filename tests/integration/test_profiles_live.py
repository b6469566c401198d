"""Profiles on the session's live server (gunicorn + gevent, local storage): pictures uploaded
over real HTTP, resized off the event loop, served through access-checked redirects to signed
URLs; profile changes reaching other people's open sockets."""
from __future__ import annotations

import io

import pytest
import requests
from PIL import Image

from tests.helpers import error_of
from tests.integration.chat import create_group
from tests.servers import ChatUser, wait_for

pytestmark = pytest.mark.integration


def photo(width: int, height: int) -> bytes:
    """A noisy JPEG (slow to decode and resize, like a photo), its left half red."""
    image = Image.effect_noise((width, height), 60).convert("RGB")
    image.paste(Image.new("RGB", (width // 2, height), "red"), (0, 0))
    output = io.BytesIO()
    image.save(output, "JPEG", quality=92)
    return output.getvalue()


def upload(user: ChatUser, data: bytes, path: str = "/me/avatar", **crop) -> requests.Response:
    return user.api("POST", path, data={name: str(value) for name, value in crop.items()},
                    files={"file": ("me.jpg", data, "image/jpeg")})


def fetch(server_url: str, user: ChatUser | None, path: str) -> requests.Response:
    """GET an app URL as `user` (None: nobody signed in), without following its redirect."""
    headers = user.headers if user else {}
    return requests.get(server_url + path, headers=headers, allow_redirects=False, timeout=10)


def test_a_picture_is_uploaded_resized_and_served_with_access_checks(live_server, register):
    alice, bob = register(), register()
    response = upload(alice, photo(1200, 800), crop_x=0, crop_y=0, crop_size=600)
    assert response.status_code == 200, response.text
    url = response.json()["user"]["avatar_url"]
    for size, edge in (("small", 64), ("medium", 192), ("large", 512)):
        redirected = fetch(live_server.url, bob, f"{url}&size={size}")
        assert redirected.status_code == 302 and redirected.headers["Cache-Control"] == "no-store"
        # The signed storage URL needs no credentials, as a browser's <img> follows it.
        picture = requests.get(live_server.url + redirected.headers["Location"], timeout=10)
        assert picture.status_code == 200 and picture.headers["Content-Type"] == "image/jpeg"
        image = Image.open(io.BytesIO(picture.content))
        assert image.size == (edge, edge)
        assert image.convert("RGB").getpixel((edge // 2, edge // 2))[0] > 180  # the red half was kept
    assert error_of(fetch(live_server.url, None, url))[0] == 401
    assert error_of(fetch(live_server.url, bob, f"/api/users/{alice.id + 10**6}/avatar")) == (404, "user_not_found")


def test_group_pictures_are_for_members_only(live_server, register):
    alice, bob, carol = register(), register(), register()
    group = alice.api("POST", "/groups", json={"name": "Pics", "member_ids": [bob.id]}).json()["conversation"]
    assert upload(bob, photo(100, 100), f"/groups/{group['id']}/avatar").status_code == 403
    answer = upload(alice, photo(300, 300), f"/groups/{group['id']}/avatar")
    assert answer.status_code == 200
    url = answer.json()["conversation"]["avatar_url"]
    assert fetch(live_server.url, bob, url).status_code == 302
    assert error_of(fetch(live_server.url, carol, url)) == (403, "not_a_member")


def test_profile_changes_reach_open_pages_of_people_who_share_a_conversation(live_server, register, connect):
    alice, bob, stranger = register(), register(), register()
    alice.api("POST", "/direct", json={"user_id": bob.id})
    bob_socket = connect(bob, ("user:updated",))
    stranger_socket = connect(stranger, ("user:updated",))
    alice_socket = connect(alice, ("user:updated",))
    assert alice.api("PATCH", "/me", json={"display_name": "Alice Live", "status_text": "here"}).status_code == 200
    upload(alice, photo(200, 200))
    updates = wait_for(lambda: len(bob_socket.received["user:updated"]) >= 2 and bob_socket.received["user:updated"],
                       timeout=10, what="user:updated at bob")
    assert updates[0]["user"]["display_name"] == "Alice Live" and updates[0]["user"]["status_text"] == "here"
    assert updates[1]["user"]["has_avatar"] is True and updates[1]["user"]["id"] == alice.id
    wait_for(lambda: len(alice_socket.received["user:updated"]) == 2, timeout=10, what="alice's own tabs")
    # A later event to the stranger arrives after anything sent before it: then nothing else came.
    stranger.api("PATCH", "/me", json={"status_text": "marker"})
    wait_for(lambda: stranger_socket.received["user:updated"], timeout=10, what="the stranger's own change")
    assert [update["user"]["id"] for update in stranger_socket.received["user:updated"]] == [stranger.id]
    # Messages carry the new name and picture.
    conversation = alice.api("GET", "/conversations").json()["conversations"][0]
    sent = alice.api("POST", f"/conversations/{conversation['id']}/messages", json={"body": "hi"}).json()
    assert sent["message"]["sender"]["display_name"] == "Alice Live"
    assert sent["message"]["sender"]["avatar_url"] == updates[1]["user"]["avatar_url"]


def test_the_picture_is_read_from_the_part_named_file_only(live_server, register):
    """protocol.md names the part `file`: one of another name was taken as the picture. Now a form without
    a `file` part is refused `missing_file` and nothing changes; a `file` part after another is the one kept."""
    alice = register()
    before = alice.api("GET", "/me").json()["user"]["avatar_url"]
    for path in ("/me/avatar", f"/groups/{create_group(alice, ())}/avatar"):
        wrong = alice.api("POST", path, files={"picture": ("me.jpg", photo(300, 300), "image/jpeg")})
        assert error_of(wrong) == (400, "missing_file"), path
        assert "`file`" in wrong.json()["error"]["message"]
    assert alice.api("GET", "/me").json()["user"]["avatar_url"] == before
    both = alice.api("POST", "/me/avatar", files=[("other", ("x.txt", b"not a picture", "text/plain")),
                                                  ("file", ("me.jpg", photo(300, 300), "image/jpeg"))])
    assert both.status_code == 200, both.text
    assert both.json()["user"]["avatar_url"] != before
