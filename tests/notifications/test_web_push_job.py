"""The push job (actions.web_push.send_message_push) run after things changed since it was queued:
it pushes what the recipient's page would show then, and nothing else."""
from __future__ import annotations

import pytest
from pywebpush import WebPushException
from requests import Response

from actions import web_push
from actions.blocks import block_user
from actions.groups import remove_member
from actions.messages import delete_message, send_message
from extensions import db
from tests.database_apps import ENGINES, engine_app
from tests.factories import make_group, make_user
from tests.helpers import push_keys


@pytest.fixture(params=ENGINES)
def app(request, tmp_path):
    with engine_app(request, tmp_path) as app:
        yield app


@pytest.fixture
def pushed(monkeypatch) -> list[tuple[str, str]]:
    """What the job posted: (endpoint, payload) per push, to no push service."""
    sent = []
    monkeypatch.setattr(web_push, "webpush", lambda subscription, data, **_: sent.append(
        (subscription["endpoint"], data)))
    return sent


@pytest.fixture
def subscribed(app, tmp_path):
    app.config["VAPID_PRIVATE_KEY_FILE"] = str(tmp_path / "vapid_private_key.pem")

    def subscribe(user) -> int:
        row = web_push.subscribe(user, {"endpoint": f"https://fcm.googleapis.com/fcm/send/{user.username}",
                                        "keys": push_keys()})
        return row.id
    return subscribe


def test_a_queued_push_goes_only_where_the_message_would_still_be_shown(alice, bob, carol, subscribed, pushed):
    dave = make_user("dave")
    group = make_group(alice, "Team", [bob, carol, dave])
    bobs, carols, daves = subscribed(bob), subscribed(carol), subscribed(dave)
    kept = send_message(alice, group.id, "still there").message.id
    removed = send_message(alice, group.id, "removed by its author").message.id
    db.session.commit()
    # Meanwhile (the queue was busy): bob blocks alice, carol is removed, alice deletes her second message.
    block_user(bob, alice.id)
    remove_member(alice, group.id, carol.id)
    delete_message(alice, removed)
    db.session.commit()
    for subscription in (bobs, carols, daves):
        for message_id in (kept, removed):
            web_push.send_message_push(subscription, message_id)
    assert [endpoint.rsplit("/", 1)[1] for endpoint, _ in pushed] == [dave.username]


@pytest.mark.parametrize(("status", "retried"), [(400, False), (401, False), (403, False), (413, False),
                                                 (429, True), (500, True), (503, True)])
def test_a_push_the_service_refuses_for_good_is_not_retried(alice, bob, subscribed, monkeypatch, status, retried):
    """A 4xx other than 404/410 (the subscription gone: deleted) and 429 (slow down) is the same answer to
    the same push: the job ends, and says so, instead of failing into five retries and a job_failures row
    (a VAPID key changed since the browsers subscribed would do that for every message to each of them)."""
    answer = Response()
    answer.status_code, answer._content = status, b"refused"

    def refuse(*_args, **_kwargs):
        raise WebPushException("refused", response=answer)

    monkeypatch.setattr(web_push, "webpush", refuse)
    group = make_group(alice, "Team", [bob])
    subscription = subscribed(bob)
    message_id = send_message(alice, group.id, "hello").message.id
    db.session.commit()
    if retried:
        with pytest.raises(WebPushException):
            web_push.send_message_push(subscription, message_id)
    else:
        web_push.send_message_push(subscription, message_id)
    assert db.session.get(web_push.PushSubscription, subscription) is not None  # kept: only 404 and 410 delete


@pytest.fixture
def no_paused_hosts():
    web_push._unreachable_until.clear()
    yield
    web_push._unreachable_until.clear()


def too_many(retry_after: str | None):
    answer = Response()
    answer.status_code, answer._content = 429, b"slow down"
    if retry_after is not None:
        answer.headers["Retry-After"] = retry_after

    def refuse(*_args, **_kwargs):
        raise WebPushException("slow down", response=answer)
    return refuse


@pytest.mark.parametrize(("header", "seconds"), [
    ("120", (120, 120)), (" 7 ", (7, 7)), ("0", (1, 1)), ("86400", (900, 900)),  # bounded: 1 s .. 15 min
    ("in 30 s", None), ("", None), (None, None),  # unreadable or absent: the queue's backoff
    ("\u00b2", None), ("\u0663", None), ("9" * 5000, (900, 900)),  # digits int() refuses or Python limits
    ("date+40", (39, 41)), ("date-40", (1, 1)), ("date+99999", (900, 900))])
def test_a_429_is_retried_after_its_retry_after(alice, bob, subscribed, monkeypatch, no_paused_hosts, header, seconds):
    """A push service's 429 says when to come back (Retry-After: seconds or an HTTP date): the job asks the
    queue for that (jobs.registry.RetryLater), bounded to 15 minutes; without one, the queue's backoff."""
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    from jobs.registry import RetryLater

    if header and header.startswith("date"):
        header = format_datetime(datetime.now(UTC) + timedelta(seconds=int(header[4:])), usegmt=True)
    monkeypatch.setattr(web_push, "webpush", too_many(header))
    group = make_group(alice, "Team", [bob])
    subscription = subscribed(bob)
    message_id = send_message(alice, group.id, "hello").message.id
    db.session.commit()
    if seconds is None:
        with pytest.raises(WebPushException):
            web_push.send_message_push(subscription, message_id)
    else:
        with pytest.raises(RetryLater) as raised:
            web_push.send_message_push(subscription, message_id)
        assert seconds[0] <= raised.value.seconds <= seconds[1]
    assert db.session.get(web_push.PushSubscription, subscription) is not None


class SilentService:
    """A push service that accepts connections and never answers."""

    def __init__(self) -> None:
        import socket
        import threading

        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.host = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self) -> None:
        self.listener.close()
        for connection in self.connections:
            connection.close()


def test_a_push_service_that_never_answers_holds_a_worker_seconds_once_not_per_push(
        app, alice, bob, carol, monkeypatch, no_paused_hosts, tmp_path):
    """A hanging push service: the push gives up after READ_TIMEOUT (5 s; it was 10), and the other pushes
    to that host in the next minute are put back for later at once (RetryLater), without a connection: the
    consumer's workers (2 by default) stay free for the other jobs."""
    import time

    from requests import Timeout

    from config import push_endpoint_hosts
    from jobs.registry import RetryLater

    silent = SilentService()
    try:
        app.config.update(VAPID_PRIVATE_KEY_FILE=str(tmp_path / "vapid_private_key.pem"), WEB_PUSH_ALLOW_HTTP=True,
                          WEB_PUSH_ENDPOINT_HOSTS=push_endpoint_hosts(silent.host))
        group = make_group(alice, "Team", [bob, carol])
        bobs, carols = (web_push.subscribe(user, {"endpoint": f"http://{silent.host}/push/{user.username}",
                                                  "keys": push_keys()}).id for user in (bob, carol))
        message_id = send_message(alice, group.id, "hello").message.id
        db.session.commit()
        started = time.monotonic()
        with pytest.raises(Timeout):
            web_push.send_message_push(bobs, message_id)
        assert time.monotonic() - started < web_push.READ_TIMEOUT + 2
        assert len(silent.connections) == 1
        started = time.monotonic()
        with pytest.raises(RetryLater) as raised:
            web_push.send_message_push(carols, message_id)
        assert time.monotonic() - started < 1 and len(silent.connections) == 1
        assert web_push.UNREACHABLE_PAUSE - 5 < raised.value.seconds <= web_push.UNREACHABLE_PAUSE
    finally:
        silent.close()


def test_a_subscription_whose_token_expired_is_deleted_not_pushed(alice, bob, subscribed, pushed):
    """A token's subscription ends with the token (migration 0025): revoking it deletes it at once; an
    expired token is noticed at the next push, which deletes the subscription instead of posting."""
    from datetime import timedelta

    from actions.accounts import issue_api_token
    from actions.sessions import revoke_own_token
    from models.time import utcnow

    group = make_group(alice, "Team", [bob])
    expiring, revoked = issue_api_token(bob, "phone").record, issue_api_token(bob, "laptop").record
    rows = [web_push.subscribe(bob, {"endpoint": f"https://fcm.googleapis.com/fcm/send/{name}", "keys": push_keys()},
                               api_token_id=token.id).id for name, token in (("phone", expiring), ("laptop", revoked))]
    kept = subscribed(bob)
    message_id = send_message(alice, group.id, "hello").message.id
    revoke_own_token(bob, revoked.id)
    expiring.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert db.session.get(web_push.PushSubscription, rows[1]) is None
    for subscription in (*rows, kept):
        web_push.send_message_push(subscription, message_id)
    assert [endpoint.rsplit("/", 1)[1] for endpoint, _ in pushed] == [bob.username]
    assert db.session.get(web_push.PushSubscription, rows[0]) is None


def test_an_endpoint_moves_to_another_account_only_with_its_keys(alice, bob):
    from actions.errors import Conflict

    browser = {"endpoint": "https://fcm.googleapis.com/fcm/send/shared", "keys": push_keys()}
    web_push.subscribe(alice, browser)
    with pytest.raises(Conflict) as refused:
        web_push.subscribe(bob, {**browser, "keys": push_keys()})
    assert refused.value.code == "push_endpoint_taken"
    assert [row.endpoint for row in web_push.subscriptions_of(alice)] == [browser["endpoint"]]
    web_push.subscribe(alice, {**browser, "keys": push_keys()})  # its own account may change the keys
    mine = web_push.subscriptions_of(alice)[0]
    web_push.subscribe(bob, {**browser, "keys": {"p256dh": mine.p256dh, "auth": mine.auth}})
    assert web_push.subscriptions_of(alice) == [] and len(web_push.subscriptions_of(bob)) == 1


class UnavailableService:
    """A push service (real HTTP on a local port) that answers every push 503, with `retry_after` as its
    Retry-After header when given; it records the paths it was posted to."""

    def __init__(self, retry_after: str | None) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        posted = self.posted = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                posted.append(self.path)
                self.send_response(503)
                if retry_after is not None:
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.mark.parametrize(("header", "seconds"), [("30", 30), (None, None)])
def test_a_503_is_retried_after_its_retry_after(app, alice, bob, no_paused_hosts, tmp_path, header, seconds):
    """A push service down for maintenance answers 503 with a Retry-After (RFC 9110): the push is tried again
    then, as after a 429, not at the queue's backoff (10 s, then 20 s…: it was ignored); without one, the
    backoff. Either way the subscription is kept."""
    from config import push_endpoint_hosts
    from jobs.registry import RetryLater

    service = UnavailableService(header)
    try:
        app.config.update(VAPID_PRIVATE_KEY_FILE=str(tmp_path / "vapid_private_key.pem"), WEB_PUSH_ALLOW_HTTP=True,
                          WEB_PUSH_ENDPOINT_HOSTS=push_endpoint_hosts(service.host))
        group = make_group(alice, "Team", [bob])
        subscription = web_push.subscribe(bob, {"endpoint": f"http://{service.host}/push/bob", "keys": push_keys()}).id
        message_id = send_message(alice, group.id, "hello").message.id
        db.session.commit()
        if seconds is None:
            with pytest.raises(WebPushException):
                web_push.send_message_push(subscription, message_id)
        else:
            with pytest.raises(RetryLater) as raised:
                web_push.send_message_push(subscription, message_id)
            assert raised.value.seconds == seconds
        assert service.posted == ["/push/bob"]
        assert db.session.get(web_push.PushSubscription, subscription) is not None
    finally:
        service.server.shutdown()
        service.server.server_close()


def test_a_subscription_from_before_0025_is_pushed_in_its_accounts_language_else_english(alice, bob, carol, pushed,
                                                                                          tmp_path, app):
    """Rows stored before migration 0025 have no token and no language (NULL: nothing to fill them from). They
    are pushed as any login's, in the account's chosen language, else in English (as code e-mails are)."""
    import json

    from models import PushSubscription

    app.config["VAPID_PRIVATE_KEY_FILE"] = str(tmp_path / "vapid_private_key.pem")
    bob.language = "zh_Hans_CN"
    group = make_group(alice, "Team", [bob, carol])
    ids = [web_push.subscribe(user, {"endpoint": f"https://fcm.googleapis.com/fcm/send/{user.username}",
                                     "keys": push_keys()}, include_text=False, language="zh_Hans_CN").id
           for user in (bob, carol)]
    db.session.execute(db.update(PushSubscription).where(PushSubscription.id.in_(ids))
                       .values(language=None, api_token_id=None))
    message_id = send_message(alice, group.id, "hello").message.id
    db.session.commit()
    for subscription in ids:
        web_push.send_message_push(subscription, message_id)
    notices = {endpoint.rsplit("/", 1)[1]: json.loads(data)["notice"] for endpoint, data in pushed}
    assert notices == {"bob": "新消息", "carol": "New message"}
