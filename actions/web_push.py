"""Web Push (VAPID): browsers' subscriptions, and the job that pushes a new message to them.

Who is pushed: the members of a conversation other than the sender who have no live socket
anywhere (realtime.presence, asked by the web process when the message commits:
web_push_adapter.WebPushAdapter) and who have not muted it, unless the message mentions them.
The push itself is a job (`send_message_push`, one per subscription), never the request; a
subscription the push service says is gone (404, 410) is deleted. A 429 or 503 is retried after its Retry-After; a
push service that hangs or cannot be reached pauses the pushes to its host (RETRY_AFTER_MAX, UNREACHABLE_PAUSE).
A subscription made with `include_text` false is pushed the conversation and message ids only: no text, no sender.
Only the push services of WEB_PUSH_ENDPOINT_HOSTS are posted to: checked when a browser subscribes
and again before every push (docs/security.md, "Web Push").

The VAPID key is a PEM file (VAPID_PRIVATE_KEY_FILE) that the web process and the job consumer
both read; outside production it is generated on first use.
"""
from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import threading
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from flask import current_app
from flask_babel import force_locale, gettext
from py_vapid import Vapid
from pywebpush import WebPushException, webpush
from requests import ConnectionError as RequestsConnectionError
from requests import Timeout

from actions.access import has_blocked
from actions.errors import Conflict, InvalidInput, NotFound
from actions.validation import (
    check_bool,
    check_push_endpoint,
    check_push_keys,
    check_string,
    is_allowed_push_endpoint,
    printable_line,
)
from events import atomic
from extensions import db
from i18n import DEFAULT_LANGUAGE, LANGUAGES, user_language
from jobs import job
from jobs.registry import RetryLater
from models import ApiToken, Conversation, Membership, Message, PushSubscription, User
from models.time import utcnow

log = logging.getLogger(__name__)

EXCERPT_LENGTH = 200  # characters of a message's text in a push
GONE = (404, 410)  # the push service forgot the subscription: delete it
TOO_MANY = 429  # the push service's own rate limit: tried again after its Retry-After, else as a 5xx is
# Answers whose Retry-After says when to come back (RFC 9110 15.6.4): the rate limit's, and a service unavailable
# for a while (503, e.g. maintenance). Other 5xx, and these without one, wait the queue's backoff.
SAYS_WHEN = (TOO_MANY, 503)
RETRY_AFTER_MAX = 900  # seconds: a 429's Retry-After beyond this (or a date further ahead) waits this long
# A push service is given CONNECT_TIMEOUT seconds to accept the connection and READ_TIMEOUT to answer: a
# hanging one holds a job worker (JOBS_WORKERS, 2 by default) that long, not requests' default of forever.
CONNECT_TIMEOUT, READ_TIMEOUT = 3, 5
# After a push service timed out or could not be reached, the other pushes to its host this process runs in
# the next UNREACHABLE_PAUSE seconds are put back for that long without posting: one hanging service costs
# each worker one timeout, not one per message, and the other jobs keep their workers.
UNREACHABLE_PAUSE = 60
_unreachable_until: dict[str, float] = {}  # host -> time.monotonic() it may be tried again
_unreachable_lock = threading.Lock()
# Browsers and devices one account is pushed to: one more forgets the one of the lowest id (first subscribed;
# subscribing again keeps a browser's row). Without a
# bound one account could make every message to it a request to a push service per stored endpoint.
SUBSCRIPTIONS_PER_USER = 20


def push_public_key() -> str:
    """The VAPID public key as browsers take it (applicationServerKey): base64url, unpadded."""
    vapid = _vapid_key()
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _vapid_key() -> Vapid:
    path = Path(current_app.config["VAPID_PRIVATE_KEY_FILE"])
    if not path.exists():
        if current_app.config.get("ENV_NAME") == "production":
            raise NotFound("push_unavailable", "Web Push is not configured on this server.")
        _generate_key(path)
    return Vapid.from_file(str(path))


def _generate_key(path: Path) -> None:
    """A new P-256 key in `path`, created at most once even when processes race (O_EXCL)."""
    vapid = Vapid()
    vapid.generate_keys()
    pem = vapid.private_pem()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "wb") as key_file:
        key_file.write(pem)
    log.warning("VAPID_PRIVATE_KEY_FILE did not exist: generated a Web Push key in %s", path)


@atomic()
def subscribe(user: User, subscription: object, include_text: object = True,
              user_agent: str | None = None, login_session_id: str | None = None,
              api_token_id: int | None = None, language: str | None = None) -> PushSubscription:
    """Record a browser's PushSubscription ({endpoint, keys: {p256dh, auth}}) for the caller.

    The endpoint is the browser's: subscribing it again with the same keys (another account on the same
    browser) moves it to the caller, so one browser is never pushed someone else's messages. Another
    account's endpoint with other keys is refused (409 push_endpoint_taken): knowing an endpoint (a push
    service's URL, not a secret) must not let one take a browser's notifications away from its account
    (docs/security.md). It belongs to the caller's login (`login_session_id`) or bearer token
    (`api_token_id`): ending that one forgets it. `language`: the subscribing request's (i18n), what the
    notification's own words are in when the account chose none."""
    if not isinstance(subscription, dict) or not isinstance(subscription.get("keys"), dict):
        raise InvalidInput("invalid_subscription", "subscription must be {endpoint, keys: {p256dh, auth}}.")
    include_text = check_bool(include_text, "include_text")
    endpoint = check_push_endpoint(subscription.get("endpoint"))
    p256dh, auth = check_push_keys(subscription["keys"])
    user_id = user.id  # read first: reading it may flush
    row = db.session.execute(db.select(PushSubscription).where(PushSubscription.endpoint == endpoint)).scalar()
    if row is None:
        row = PushSubscription(endpoint=endpoint, user_id=user_id)
        db.session.add(row)
    elif row.user_id != user_id and not _same_keys(row, p256dh, auth):
        raise Conflict("push_endpoint_taken", "This push endpoint is subscribed by another account with other "
                                              "keys: subscribe with this browser's own subscription.")
    row.user_id, row.p256dh, row.auth, row.include_text = user_id, p256dh, auth, include_text
    row.user_agent = printable_line(user_agent, 512)
    row.login_session_id, row.api_token_id = login_session_id, api_token_id
    row.language = language if language in LANGUAGES else None
    db.session.flush()
    mine = (PushSubscription.user_id == user.id, PushSubscription.id != row.id)
    newest = db.select(PushSubscription.id).where(*mine).order_by(PushSubscription.id.desc()).limit(
        SUBSCRIPTIONS_PER_USER - 1)
    db.session.execute(db.delete(PushSubscription).where(*mine, PushSubscription.id.not_in(newest)))
    return row


def _same_keys(row: PushSubscription, p256dh: str, auth: str) -> bool:
    """The keys a browser subscribed with: only that browser knows its auth secret."""
    return secrets.compare_digest(row.p256dh, p256dh) & secrets.compare_digest(row.auth, auth)


@atomic()
def unsubscribe(user: User, endpoint: object) -> None:
    """Forget the caller's subscription with this endpoint (404 if they have none)."""
    endpoint = check_string(endpoint, "endpoint", max_length=2048)
    row = db.session.execute(db.select(PushSubscription).where(
        PushSubscription.endpoint == endpoint, PushSubscription.user_id == user.id)).scalar()
    if row is None:
        raise NotFound("subscription_not_found", "No such push subscription.")
    db.session.delete(row)


def forget_subscriptions(user_id: int | None = None, login_session_id: str | None = None,
                         without_login: bool = False, api_token_id: int | None = None) -> None:
    """Stop pushing to the browsers of a login that ended (logged out, revoked, timed out, signed in
    elsewhere: that browser's page is signed out, its notifications with it), or to all of an account
    that was closed (deactivated, suspended), or (`without_login`) to those of the account no login holds,
    its tokens' (every token of it revoked: a password changed or reset), or to those one bearer token
    subscribed (`api_token_id`: that token revoked). Callers: actions.sessions, actions.accounts,
    actions.user_admin."""
    if api_token_id is not None:
        db.session.execute(db.delete(PushSubscription).where(PushSubscription.api_token_id == api_token_id))
    if login_session_id is not None:
        db.session.execute(db.delete(PushSubscription).where(PushSubscription.login_session_id == login_session_id))
    if user_id is not None:
        whose = [PushSubscription.user_id == user_id]
        if without_login:
            whose.append(PushSubscription.login_session_id.is_(None))
        db.session.execute(db.delete(PushSubscription).where(*whose))


def subscriptions_of(user: User) -> list[PushSubscription]:
    return list(db.session.execute(db.select(PushSubscription).where(PushSubscription.user_id == user.id)
                                   .order_by(PushSubscription.id)).scalars())


def push_payload(message: Message, include_text: bool, language: str = DEFAULT_LANGUAGE) -> dict:
    """What the service worker receives; without text: ids and `notice` ("New message"). The words the
    server writes ("New message", "(file)") are in `language` (a code of i18n.LANGUAGES)."""
    payload = {"type": "message", "conversation_id": message.conversation_id, "message_id": message.id}
    with force_locale(language if language in LANGUAGES else DEFAULT_LANGUAGE):
        if not include_text:
            payload["notice"] = gettext("New message")
            return payload
        conversation = db.session.get(Conversation, message.conversation_id)
        sender = message.sender.display_name if message.sender is not None else None
        payload["title"] = conversation.name if conversation.kind == "group" and conversation.name else sender
        payload["sender"] = sender
        body = message.body if message.deleted_at is None and message.hidden_at is None else ""
        payload["body"] = body[:EXCERPT_LENGTH] if body else (gettext("(file)") if message.attachment_id else "")
    return payload


@job()
def send_message_push(subscription_id: int, message_id: int) -> None:
    """Push one message to one subscription; a gone subscription is deleted, other failures retried."""
    subscription = db.session.get(PushSubscription, subscription_id)
    message = db.session.get(Message, message_id)
    if subscription is None or message is None or message.deleted_at or message.hidden_at:
        return
    member = db.session.execute(db.select(Membership.id).where(
        Membership.conversation_id == message.conversation_id, Membership.user_id == subscription.user_id)).scalar()
    if member is None:  # left the conversation since
        return
    if message.sender_id is not None and has_blocked(subscription.user_id, message.sender_id):
        return  # blocked the sender since it was queued: their page hides the message, so no push shows it
    if subscription.api_token_id is not None and not _token_is_live(subscription.api_token_id):
        db.session.delete(subscription)  # its token expired (revoking it deleted it already)
        return
    if not is_allowed_push_endpoint(subscription.endpoint):  # WEB_PUSH_ENDPOINT_HOSTS narrowed since it was stored
        log.warning("push subscription %s: its endpoint's host is not in WEB_PUSH_ENDPOINT_HOSTS now, not pushed",
                    subscription_id)
        return
    config = current_app.config
    _vapid_key()  # made if missing (outside production)
    host = urlsplit(subscription.endpoint).netloc.lower()
    paused = _paused_for(host)
    if paused:
        if (utcnow() - message.created_at).total_seconds() > config["WEB_PUSH_TTL_SECONDS"]:
            # Put back untried for as long as the host hangs, but not past what the push service itself
            # would keep for a device that is off: a notification that late is no news.
            log.warning("push subscription %s: %s has not answered for longer than WEB_PUSH_TTL_SECONDS since "
                        "message %s, not pushed", subscription_id, host, message_id)
            return
        # Not tried: no retry spent and no job_failures row (jobs.queue._runner), the timed-out push has both.
        raise RetryLater(paused, f"push service {host} did not answer lately: retry in {paused:.0f} s", tried=False)
    try:
        webpush({"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}},
                # UTF-8, not \u escapes: 12 bytes an emoji would take the longest names and excerpt past one
                # record of 4,096 bytes, what push services take (test_web_push_live, the longest push).
                json.dumps(push_payload(message, subscription.include_text, _language(subscription)),
                           ensure_ascii=False),
                vapid_private_key=config["VAPID_PRIVATE_KEY_FILE"],
                vapid_claims={"sub": config["VAPID_SUBJECT"]}, ttl=config["WEB_PUSH_TTL_SECONDS"],
                timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
    except (Timeout, RequestsConnectionError):
        _pause(host)
        raise  # retried with the queue's backoff
    except WebPushException as error:
        status = error.response.status_code if error.response is not None else None
        if status in GONE:
            log.info("push subscription %s is gone (%s): deleted", subscription_id, status)
            db.session.delete(subscription)
            return
        if status in SAYS_WHEN and (wait := retry_after(error.response.headers.get("Retry-After"))) is not None:
            raise RetryLater(wait, f"push service {host} answered {status}: Retry-After {wait} s") from error
        if status is not None and 400 <= status < 500 and status != TOO_MANY:
            # Refused for what the push is (400, 413) or who signs it (401, 403: VAPID keys changed since
            # the browser subscribed with the old one): the same push again gets the same answer. Said,
            # not retried into job_failures five times a message.
            log.warning("push subscription %s: the push service refused the push (%s %s), not retried",
                        subscription_id, status, (error.response.text or "")[:200])
            return
        raise
    subscription.last_sent_at = utcnow()


def _language(subscription: PushSubscription) -> str:
    """The account's chosen language, else the subscribing page's, else English (as code e-mails)."""
    return user_language(db.session.get(User, subscription.user_id)) or subscription.language or DEFAULT_LANGUAGE


def _token_is_live(token_id: int) -> bool:
    from actions.accounts import has_expired  # actions.accounts forgets subscriptions: imports this module

    token = db.session.get(ApiToken, token_id)
    return token is not None and token.revoked_at is None and not has_expired(token.expires_at)


def retry_after(value: str | None) -> int | None:
    """A Retry-After header's wait in whole seconds (RFC 9110: seconds, or an HTTP date), between 1 and
    RETRY_AFTER_MAX; None when absent or unreadable (the queue's own backoff then decides)."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # ASCII only: "²" is a digit that int() refuses
        seconds = int(value) if len(value) < 10 else RETRY_AFTER_MAX  # no 5,000-digit int() (ValueError)
    else:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = int((moment - datetime.now(UTC)).total_seconds() + 0.999)
    return min(max(seconds, 1), RETRY_AFTER_MAX)


def _paused_for(host: str) -> float:
    with _unreachable_lock:
        left = _unreachable_until.get(host, 0) - time.monotonic()
        if left <= 0:
            _unreachable_until.pop(host, None)
            return 0
        return left


def _pause(host: str) -> None:
    with _unreachable_lock:
        _unreachable_until[host] = time.monotonic() + UNREACHABLE_PAUSE
