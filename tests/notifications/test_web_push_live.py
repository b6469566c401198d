"""Web Push through a real server and its job consumer: a member without a live socket is pushed
(the local push service decrypts the payload with the subscription's keys, and the VAPID header
carries the server's public key), one with a live socket is not; muted conversations are pushed
mentions only; a subscription that chose privacy gets no text; a gone subscription (410) is
deleted; subscribing refuses bad input."""
from __future__ import annotations

import base64
import json
import os
import sqlite3

import http_ece
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid

from tests.integration.chat import group_with, post
from tests.servers import PASSWORD, ChatUser, wait_for
from tests.servers import Browser as Page

pytestmark = pytest.mark.integration


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Browser:
    """A browser's side of a subscription: its ECDH key and auth secret, to decrypt what it is pushed."""

    def __init__(self, push_service, name: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.path = f"/push/{name}"
        self.endpoint = push_service.url + self.path
        self.push_service = push_service

    def subscription(self) -> dict:
        public = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                    serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64(public), "auth": b64(self.auth)}}

    def subscribe(self, user: ChatUser, include_text: bool = True) -> dict:
        answer = user.api("POST", "/push/subscriptions", json={"subscription": self.subscription(),
                                                                "include_text": include_text})
        assert answer.status_code == 201, answer.text
        return answer.json()["subscription"]

    def pushes(self) -> list[dict]:
        return [json.loads(http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"))
                for _, _, body in self.push_service.to(self.path)]


def test_offline_members_are_pushed_and_online_ones_are_not(notifications_server, push_service):
    alice, bob, carol = (ChatUser.register(notifications_server.url) for _ in range(3))
    group = group_with(alice, bob, carol, name="Team")["id"]
    bobs_browser, carols_browser = Browser(push_service, f"bob{bob.id}"), Browser(push_service, f"carol{carol.id}")
    bobs_browser.subscribe(bob)
    carols_browser.subscribe(carol)
    carol_online = carol.socket(())
    try:
        first = post(alice, group, "Lunch at noon?")
        wait_for(lambda: bobs_browser.pushes(), what="bob's push")
        assert bobs_browser.pushes() == [{"type": "message", "conversation_id": group, "message_id": first["id"],
                                          "title": "Team", "sender": alice.username, "body": "Lunch at noon?"}]
        path, headers, _ = push_service.to(bobs_browser.path)[0]
        key = alice.api("GET", "/push/key").json()["public_key"]
        assert headers["content-encoding"] == "aes128gcm" and f"k={key}" in headers["authorization"]
        assert int(headers["ttl"]) > 0
    finally:
        carol_online.disconnect()
    # Once carol is offline (after the grace period) she is pushed the next message, and never was the first.
    wait_for(lambda: carol.api("GET", f"/users/{carol.id}/presence").json()["presence"]["online"] is False,
             what="carol offline")
    second = post(alice, group, "Or one?")
    wait_for(lambda: carols_browser.pushes(), what="carol's push")
    assert [push["message_id"] for push in carols_browser.pushes()] == [second["id"]]
    wait_for(lambda: len(bobs_browser.pushes()) == 2, what="bob's second push")
    # The sender is never pushed her own message.
    alices_browser = Browser(push_service, f"alice{alice.id}")
    alices_browser.subscribe(alice)
    post(alice, group, "me again")
    wait_for(lambda: len(bobs_browser.pushes()) == 3, what="bob's third push")
    # Bob's later message is pushed to her after anything her own could have been: it is the first she gets.
    later = post(bob, group, "for alice")
    wait_for(lambda: alices_browser.pushes(), what="alice's push of bob's message")
    assert [push["message_id"] for push in alices_browser.pushes()] == [later["id"]]


def test_mute_privacy_blocks_and_gone_subscriptions(notifications_server, push_service):
    alice, bob, dave, erin = (ChatUser.register(notifications_server.url) for _ in range(4))
    group = group_with(alice, bob, dave, erin, name="Muted")["id"]
    bobs_browser = Browser(push_service, f"private{bob.id}")
    bobs_browser.subscribe(bob, include_text=False)
    # Erin blocked alice: alice's messages are hidden from her page, and never pushed to her.
    erins_browser = Browser(push_service, f"erin{erin.id}")
    erins_browser.subscribe(erin)
    assert erin.api("POST", "/blocks", json={"user_id": alice.id}).status_code in (200, 201)
    muted = bob.api("PUT", f"/conversations/{group}/mute")
    assert muted.status_code == 200 and muted.json()["muted"] is True, muted.text
    post(alice, group, "nobody needs to see this")
    mention = post(alice, group, f"@{bob.username} look")
    wait_for(lambda: bobs_browser.pushes(), what="the mention's push")
    # Private: ids only. Muted: the mention alone (it was sent after the other message).
    assert bobs_browser.pushes() == [{"type": "message", "conversation_id": group, "message_id": mention["id"],
                                      "notice": "New message"}]
    from_bob = post(bob, group, "bob speaks")
    wait_for(lambda: erins_browser.pushes(), what="erin's push of bob's message")
    assert [push["message_id"] for push in erins_browser.pushes()] == [from_bob["id"]]

    gone = Browser(push_service, "gone")
    gone.path = "/push/gone"
    gone.endpoint = push_service.url + gone.path
    gone.subscribe(dave)
    post(alice, group, "to a gone browser")
    wait_for(lambda: push_service.to("/push/gone"), what="the push to the gone subscription")
    wait_for(lambda: dave.api("GET", "/push/subscriptions").json()["subscriptions"] == [],
             what="the gone subscription deleted")

    # Unsubscribing, and refusals that change nothing.
    assert bob.api("GET", "/push/subscriptions").json()["subscriptions"][0]["include_text"] is False
    for body in ({}, {"subscription": {"endpoint": "ftp://x", "keys": {"p256dh": "a", "auth": "b"}}},
                 {"subscription": {"endpoint": "http://127.0.0.1:1/x", "keys": {"p256dh": "a"}}},
                 {"subscription": bobs_browser.subscription(), "include_text": "no"},
                 # keys no push can be encrypted to: not a P-256 point, an auth secret that is not 16 bytes
                 {"subscription": {**bobs_browser.subscription(), "keys": {"p256dh": "B" * 87, "auth": "A" * 22}}},
                 {"subscription": {**bobs_browser.subscription(), "keys": {**bobs_browser.subscription()["keys"],
                                                                          "auth": "AAAA"}}}):
        answer = bob.api("POST", "/push/subscriptions", json=body)
        assert answer.status_code == 400 and answer.json()["ok"] is False, (body, answer.text)
    assert dave.api("DELETE", "/push/subscriptions", json={"endpoint": bobs_browser.endpoint}).status_code == 404
    assert len(bob.api("GET", "/push/subscriptions").json()["subscriptions"]) == 1
    assert bob.api("DELETE", "/push/subscriptions", json={"endpoint": bobs_browser.endpoint}).status_code == 200
    assert bob.api("GET", "/push/subscriptions").json()["subscriptions"] == []


def test_a_mention_in_code_is_not_pushed_to_a_muted_member(notifications_server, push_service):
    """Code mentions nobody (actions/code_spans.py): a muted member is pushed the real mention sent after
    it (the marker: the job consumer takes the jobs in order), never the one written as code."""
    alice, bob = (ChatUser.register(notifications_server.url) for _ in range(2))
    group = group_with(alice, bob, name="Code")["id"]
    bobs_browser = Browser(push_service, f"code{bob.id}")
    bobs_browser.subscribe(bob)
    assert bob.api("PUT", f"/conversations/{group}/mute").json()["muted"] is True
    in_code = post(alice, group, f"run `notify @{bob.username}` or\n~~~\n@all @{bob.username}\n~~~")
    assert in_code["mentions"] == []
    mention = post(alice, group, f"@{bob.username} done")
    wait_for(lambda: any(push["message_id"] == mention["id"] for push in bobs_browser.pushes()),
             what="the real mention's push")
    assert [push["message_id"] for push in bobs_browser.pushes()] == [mention["id"]]


def test_only_the_allowed_push_services_are_subscribed_and_posted_to(notifications_server, push_service):
    """WEB_PUSH_ENDPOINT_HOSTS (here: the local push service's host and port): another host or port is
    refused at subscribe time and stores nothing; a row stored before the setting narrowed (made here by
    writing the database, as an older setting would have let it in) is never posted to."""
    alice, bob, carol = (ChatUser.register(notifications_server.url) for _ in range(3))
    group = group_with(alice, bob, carol, name="Allowed")["id"]
    port = push_service.url.rsplit(":", 1)[1]
    outside = Browser(push_service, f"outside{bob.id}")
    for endpoint in (f"http://localhost:{port}{outside.path}",  # the same service, by a name not allowed
                     f"http://127.0.0.1:{notifications_server.port}/api/accounts",  # the server itself
                     "http://169.254.169.254/latest/meta-data/", "https://fcm.googleapis.com/fcm/send/x"):
        outside.endpoint = endpoint
        answer = bob.api("POST", "/push/subscriptions", json={"subscription": outside.subscription()})
        assert answer.status_code == 400, (endpoint, answer.text)
        assert answer.json()["error"]["code"] == "push_endpoint_not_allowed", endpoint
    assert bob.api("GET", "/push/subscriptions").json()["subscriptions"] == []

    # Bob subscribes while allowed; then his row names a host the setting no longer allows.
    outside.endpoint = push_service.url + outside.path
    outside.subscribe(bob)
    with sqlite3.connect(notifications_server.workdir / "switchboard.db") as database:
        changed = database.execute("UPDATE push_subscriptions SET endpoint = ? WHERE endpoint = ?",
                                   (f"http://localhost:{port}{outside.path}", outside.endpoint)).rowcount
    assert changed == 1
    carols_browser = Browser(push_service, f"allowed{carol.id}")
    carols_browser.subscribe(carol)
    message = post(alice, group, "to both subscriptions")
    wait_for(lambda: carols_browser.pushes(), what="carol's push")
    assert [push["message_id"] for push in carols_browser.pushes()] == [message["id"]]
    consumer = notifications_server.consumer
    wait_for(lambda: "not in WEB_PUSH_ENDPOINT_HOSTS now" in consumer.log_text(), what="bob's push refused")
    assert push_service.to(outside.path) == []
    assert len(bob.api("GET", "/push/subscriptions").json()["subscriptions"]) == 1  # kept: the setting may widen


def test_a_push_of_the_longest_names_and_text_is_one_record_of_at_most_4096_bytes(notifications_server, push_service):
    """RFC 8291 §4: one record; RFC 8030 §7.2: push services need take no more than 4,096 bytes (FCM and
    Mozilla's refuse more with 413). The longest group name, display name and excerpt, in emoji (four
    bytes each in UTF-8, twelve as JSON's \\ud83d\\ude00 escapes) and in Chinese, must fit."""
    alice, bob = (ChatUser.register(notifications_server.url) for _ in range(2))
    assert alice.api("PATCH", "/me", json={"display_name": "😀" * 64}).status_code == 200
    group = group_with(alice, bob, name="🎉" * 80)["id"]
    browser = Browser(push_service, f"longest{bob.id}")
    browser.subscribe(bob)
    for text in ("😀" * 4000, "中" * 4000):
        post(alice, group, text)
    wait_for(lambda: len(browser.pushes()) == 2, what="both pushes")
    assert sorted(push["body"] for push in browser.pushes()) == sorted(["😀" * 200, "中" * 200])  # two workers
    for _, _, body in push_service.to(browser.path):
        record_size, header = int.from_bytes(body[16:20], "big"), 21 + body[20]  # RFC 8188 §2.1
        assert len(body) <= 4096 and len(body) - header <= record_size, len(body)


def test_a_browser_whose_login_ended_is_no_longer_pushed(notifications_server, push_service):
    """A subscription belongs to the login that made it: logging out that page, or its login revoked
    from elsewhere, forgets it (before, the logged-out browser went on showing the user's messages, text
    and sender included). A token's subscription stays; a suspended account loses every one."""
    alice, bob = (ChatUser.register(notifications_server.url) for _ in range(2))
    group = group_with(alice, bob, name="Logins")["id"]
    first_page, second_page = Page(notifications_server, bob.username), Page(notifications_server, bob.username)
    logged_out, revoked, program = (Browser(push_service, f"{name}{bob.id}") for name in ("out", "revoked", "token"))
    for page, browser in ((first_page, logged_out), (second_page, revoked)):
        answer = page.api("POST", "/push/subscriptions", json={"subscription": browser.subscription()})
        assert answer.status_code == 201, answer.text
    program.subscribe(bob)

    def endpoints() -> set[str]:
        return {row["endpoint"] for row in bob.api("GET", "/push/subscriptions").json()["subscriptions"]}

    assert endpoints() == {logged_out.endpoint, revoked.endpoint, program.endpoint}
    assert first_page.post_form("/settings", "/logout").status_code == 302
    assert bob.api("DELETE", f"/sessions/{second_page.session_id()}").status_code == 200
    assert endpoints() == {program.endpoint}
    message = post(alice, group, "after the logout")
    wait_for(lambda: program.pushes(), what="the token's subscription pushed")
    assert [push["message_id"] for push in program.pushes()] == [message["id"]]
    assert logged_out.pushes() == [] and revoked.pushes() == []

    # An account closed by an operator is pushed nothing, whatever made its subscriptions.
    operator = f"op{bob.id}"
    token = notifications_server.operator_token(operator, PASSWORD)
    suspended = requests.post(f"{notifications_server.url}/api/admin/users/{bob.id}/suspend",
                              json={"until": "2099-01-01T00:00:00Z", "reason": "spam"},
                              headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert suspended.status_code == 200, suspended.text
    with sqlite3.connect(notifications_server.workdir / "switchboard.db") as database:
        left = database.execute("SELECT count(*) FROM push_subscriptions WHERE user_id = ?", (bob.id,)).fetchone()
    assert left == (0,)


def test_revoking_one_token_forgets_the_browsers_it_subscribed(notifications_server, push_service):
    """A subscription made with a bearer token ends with that token: revoked from the list of tokens
    (DELETE /api/tokens/<id>) or by itself (DELETE /api/tokens/current). Before, only revoking every token
    of the account did (a password changed): a revoked phone's browser went on being pushed the messages."""
    alice, bob = (ChatUser.register(notifications_server.url) for _ in range(2))
    group = group_with(alice, bob, name="Tokens")["id"]

    def another_token(name: str) -> ChatUser:
        issued = requests.post(notifications_server.url + "/api/tokens", timeout=10,
                               json={"username": bob.username, "password": PASSWORD, "name": name})
        assert issued.status_code == 201, issued.text
        return ChatUser(bob.server_url, bob.username, issued.json()["token"], bob.id)

    phone, laptop = another_token("phone"), another_token("laptop")
    phones, laptops, kept = (Browser(push_service, f"{name}{bob.id}") for name in ("phone", "laptop", "kept"))
    phones.subscribe(phone)
    laptops.subscribe(laptop)
    kept.subscribe(bob)
    (phone_id,) = [token["id"] for token in bob.api("GET", "/tokens").json()["tokens"] if token["name"] == "phone"]
    assert bob.api("DELETE", f"/tokens/{phone_id}").status_code == 200
    assert laptop.api("DELETE", "/tokens/current").json()["revoked"] is True
    assert [row["endpoint"] for row in bob.api("GET", "/push/subscriptions").json()["subscriptions"]] == [kept.endpoint]
    message = post(alice, group, "after the revocations")
    wait_for(lambda: kept.pushes(), what="the live token's subscription pushed")
    assert [push["message_id"] for push in kept.pushes()] == [message["id"]]
    assert phones.pushes() == [] and laptops.pushes() == []


def test_another_accounts_endpoint_moves_only_with_its_keys(notifications_server, push_service):
    """An endpoint is a push service's URL, not a secret: subscribing one another account holds, with
    other keys, is refused (409 push_endpoint_taken) and changes nothing (before, it moved the subscription
    to the caller: bob's browser was no longer told of bob's messages, and the caller could make it show
    theirs). The same browser switching accounts subscribes with the same keys: that moves it."""
    alice, bob, mallory, carol = (ChatUser.register(notifications_server.url) for _ in range(4))
    group = group_with(alice, bob, carol, name="Endpoints")["id"]
    bobs = Browser(push_service, f"shared{bob.id}")
    bobs.subscribe(bob)
    thief = Browser(push_service, f"shared{bob.id}")  # the same endpoint, keys of its own
    taken = mallory.api("POST", "/push/subscriptions", json={"subscription": thief.subscription()})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "push_endpoint_taken", taken.text
    assert mallory.api("GET", "/push/subscriptions").json()["subscriptions"] == []
    assert [row["endpoint"] for row in bob.api("GET", "/push/subscriptions").json()["subscriptions"]] == [bobs.endpoint]
    first = post(alice, group, "for bob")
    wait_for(lambda: bobs.pushes(), what="bob's push")
    assert [push["message_id"] for push in bobs.pushes()] == [first["id"]]

    bobs.subscribe(carol)  # carol logs in on bob's browser: the same subscription, so the same keys
    assert bob.api("GET", "/push/subscriptions").json()["subscriptions"] == []
    assert len(carol.api("GET", "/push/subscriptions").json()["subscriptions"]) == 1
    second = post(bob, group, "for carol")
    wait_for(lambda: len(bobs.pushes()) == 2, what="carol's push")
    assert bobs.pushes()[1]["message_id"] == second["id"]


def test_the_notifications_own_words_are_in_the_subscribing_pages_language(notifications_server, push_service):
    """A user who chose no language follows the browser: the page that subscribed was Chinese, so are
    "New message" (a private subscription) and "(file)" (a file without text), which the server writes into
    the push (the service worker has no catalogue). Before, they were English. The account's own choice wins."""
    alice, bob, carol = (ChatUser.register(notifications_server.url) for _ in range(3))
    group = group_with(alice, bob, carol, name="语言")["id"]
    bobs, carols = Browser(push_service, f"zh{bob.id}"), Browser(push_service, f"zhfile{carol.id}")
    for user, browser, include_text in ((bob, bobs, False), (carol, carols, True)):
        answer = requests.post(notifications_server.url + "/api/push/subscriptions", timeout=10,
                               headers={**user.headers, "Accept-Language": "zh-CN,zh;q=0.9"},
                               json={"subscription": browser.subscription(), "include_text": include_text})
        assert answer.status_code == 201, answer.text
    uploaded = alice.api("POST", f"/conversations/{group}/files", files={"file": ("notes.txt", b"hello", "text/plain")})
    assert uploaded.status_code == 201, uploaded.text
    sent = alice.api("POST", f"/conversations/{group}/messages",
                     json={"attachment_id": uploaded.json()["attachment"]["id"], "client_id": "file-1"})
    assert sent.status_code == 201, sent.text
    wait_for(lambda: bobs.pushes() and carols.pushes(), what="both pushes")
    assert bobs.pushes()[0]["notice"] == "新消息"
    assert carols.pushes()[0]["body"] == "（文件）"

    # The account's choice wins over the page's: bob chooses English.
    assert bob.api("PUT", "/me/language", json={"language": "en"}).status_code == 200
    post(alice, group, "in English now")
    wait_for(lambda: len(bobs.pushes()) == 2, what="bob's second push")
    assert bobs.pushes()[1]["notice"] == "New message"


def test_a_push_service_that_never_answers_does_not_hold_the_other_pushes(tmp_path, push_service):
    """Four members' browsers use a push service that accepts connections and never answers, a fifth an
    answering one, subscribed last: its push is queued behind four hanging ones and the consumer has two
    workers. Before, each hanging push held a worker 10 s (20 s before the fifth push went out); now the
    first two give up after 5 s and the other pushes to that host are put back at once (without a
    connection)."""
    import time

    from tests.notifications.test_web_push_job import SilentService
    from tests.servers import LiveServer

    silent = SilentService()
    key_file = tmp_path / "vapid_private_key.pem"
    vapid = Vapid()
    vapid.generate_keys()
    key_file.write_bytes(vapid.private_pem())
    server = LiveServer(tmp_path, env={"VAPID_PRIVATE_KEY_FILE": str(key_file), "WEB_PUSH_ALLOW_HTTP": "1",
                                       "WEB_PUSH_ENDPOINT_HOSTS": f"{push_service.host},{silent.host}",
                                       "VAPID_SUBJECT": "mailto:ops@example.test", "JOBS_WORKERS": "2",
                                       "JOBS_POLL_SECONDS": "0.2", "JOBS_RETRY_DELAY_SECONDS": "30"})
    server.migrate()
    server.start()
    try:
        alice, *hanging, bob = (ChatUser.register(server.url) for _ in range(6))
        group = group_with(alice, *hanging, bob, name="Hanging")["id"]
        for user in hanging:
            hung = Browser(push_service, f"hung{user.id}")
            hung.endpoint = f"http://{silent.host}/push/{user.id}"
            hung.subscribe(user)
        bobs = Browser(push_service, f"after-the-hanging{bob.id}")
        bobs.subscribe(bob)
        started = time.monotonic()
        post(alice, group, "anyone?")
        wait_for(lambda: bobs.pushes(), timeout=30, what="the answering service's push")
        assert time.monotonic() - started < 9
        assert len(silent.connections) <= 2  # one per worker; the others were put back unposted
    finally:
        server.stop()
        silent.close()


def test_a_push_service_asking_to_wait_is_tried_again_when_it_said(notifications_server, push_service):
    """A 429 with Retry-After: 4 is pushed again 4 s later, not after the queue's own delay
    (JOBS_RETRY_DELAY_SECONDS, 1 s on this server): before, the second try came a second later."""
    from tests.notifications.conftest import BUSY_SECONDS

    alice, bob = (ChatUser.register(notifications_server.url) for _ in range(2))
    group = group_with(alice, bob, name="Busy")["id"]
    bobs = Browser(push_service, f"busy{bob.id}")
    bobs.subscribe(bob)
    message = post(alice, group, "when you can")
    wait_for(lambda: len(bobs.pushes()) == 2, timeout=20, what="the push tried again")
    assert [push["message_id"] for push in bobs.pushes()] == [message["id"]] * 2
    first, second = (float(entry[1]["x-received-at"]) for entry in push_service.to(bobs.path))
    assert BUSY_SECONDS - 0.5 <= second - first < BUSY_SECONDS + 3
