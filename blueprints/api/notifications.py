"""Notifications over REST: muting a conversation (actions.notifications), Web Push subscriptions
(actions.web_push): the server's key, subscribe, unsubscribe."""
from flask import jsonify, request

from actions.notifications import set_muted
from actions.validation import check_fields
from actions.web_push import push_public_key, subscribe, subscriptions_of, unsubscribe
from blueprints.api import api_user, bp, json_body
from blueprints.identity import request_principal
from i18n import request_language
from payloads import push_subscription_payload


@bp.get("/push/key")
def push_key():
    """The VAPID public key for PushManager.subscribe's applicationServerKey."""
    return jsonify({"ok": True, "public_key": push_public_key()})


@bp.get("/push/subscriptions")
def list_push_subscriptions():
    """The caller's subscribed browsers."""
    return jsonify({"ok": True, "subscriptions": [push_subscription_payload(s) for s in subscriptions_of(api_user())]})


@bp.post("/push/subscriptions")
def add_push_subscription():
    """{subscription: PushSubscription.toJSON(), include_text?}: push this browser the caller's messages."""
    body = check_fields(json_body(), ("subscription", "include_text"), "subscription")
    principal = request_principal()
    subscription = subscribe(api_user(), body.get("subscription"), body.get("include_text", True),
                             user_agent=request.headers.get("User-Agent"), login_session_id=principal.session_id,
                             api_token_id=principal.token_id,
                             language=request_language())
    return jsonify({"ok": True, "subscription": push_subscription_payload(subscription)}), 201


@bp.delete("/push/subscriptions")
def remove_push_subscription():
    """{endpoint}: stop pushing to that browser."""
    unsubscribe(api_user(), check_fields(json_body(), ("endpoint",), "subscription").get("endpoint"))
    return jsonify({"ok": True})


@bp.put("/conversations/<id:conversation_id>/mute")
def mute_conversation(conversation_id: int):
    """Silence everything but mentions (the caller's other tabs get conversation:muted)."""
    membership = set_muted(api_user(), conversation_id, True)
    return jsonify({"ok": True, "conversation_id": conversation_id, "muted": membership.muted})


@bp.delete("/conversations/<id:conversation_id>/mute")
def unmute_conversation(conversation_id: int):
    """Notify everything again."""
    membership = set_muted(api_user(), conversation_id, False)
    return jsonify({"ok": True, "conversation_id": conversation_id, "muted": membership.muted})
