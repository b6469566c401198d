"""The REST API as an OpenAPI 3.1 document, served at GET /api/openapi.json (no login needed).

Written beside the views, one entry per route: tests/test_openapi.py checks it against the app's
url_map (no route missing, none extra), the fuzz tests (tests/fuzz) take each route's fields
from it, and schemathesis tests a live server against it. It is also where a route says it takes a body
(`takes_a_body`): every other /api route refuses one with a field (blueprints.api). docs/protocol.md
says the same in prose.
"""
from __future__ import annotations

import re
from functools import cache

from flask import jsonify

from actions.validation import MAX_SAFE_INTEGER
from blueprints.api import bp
from blueprints.client_json import MAX_DEPTH

ID = {"type": "integer", "minimum": 1, "maximum": MAX_SAFE_INTEGER}
COUNTER = {"type": "integer", "minimum": 0, "maximum": MAX_SAFE_INTEGER}
TEXT = {"type": "string"}
OK = {"type": "boolean", "const": True}
FLAG = {"type": "boolean"}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: dict, optional: dict | None = None) -> dict:
    """An object with these properties; others may come (clients ignore what they do not know)."""
    return {"type": "object", "required": list(required), "properties": {**required, **(optional or {})}}


def listing(name: str) -> dict:
    return {"type": "array", "items": ref(name)}


LANGUAGE = {"enum": ["en", "zh_Hans_CN", None]}  # i18n.LANGUAGES; null: the browser's
RESOLUTION = {"enum": ["message_hidden", "sender_messages_hidden", "sender_deactivated", "dismissed"]}  # models.report
SCHEMAS = {
    "Error": obj({"ok": {"type": "boolean", "const": False},
                  "error": obj({"code": {"type": "string", "pattern": "^[a-z_]+$"}, "message": TEXT})}),
    "User": obj({"id": ID, "username": TEXT, "display_name": TEXT}, {"avatar_url": TEXT, "has_avatar": FLAG}),
    "Profile": obj({"id": ID, "username": TEXT, "display_name": TEXT, "avatar_url": TEXT, "has_avatar": FLAG,
                    "status_text": TEXT, "time_zone": {"type": ["string", "null"]},
                    "online": {"type": ["boolean", "null"]}}),
    "Attachment": obj({"id": ID, "status": {"enum": ["pending", "ready", "deleted"]},
                       "filename": {"type": ["string", "null"]}, "has_thumbnail": FLAG}),
    "Message": obj({"id": ID, "conversation_id": ID, "seq": COUNTER, "revision": COUNTER,
                    "sender": {"anyOf": [ref("User"), {"type": "null"}]}, "kind": TEXT, "body": TEXT,
                    "removed": FLAG},
                   {"attachment": {"anyOf": [ref("Attachment"), {"type": "null"}]},
                    "reply_to": {"anyOf": [obj({"id": ID, "seq": COUNTER, "kind": TEXT, "removed": FLAG,
                                                "sender": {"anyOf": [ref("User"), {"type": "null"}]},
                                                "excerpt": TEXT}), {"type": "null"}]},
                    "mentions": {"type": "array", "items": ID}, "mentions_all": FLAG,
                    "system": {"anyOf": [obj({"event": TEXT}), {"type": "null"}]},
                    "reactions": {"type": "array", "items": obj({"emoji": TEXT, "count": ID, "user_ids": {
                        "type": "array", "items": ID}})}}),
    "Conversation": obj({"id": ID, "kind": {"enum": ["group", "direct"]}, "last_seq": COUNTER,
                         "last_revision": COUNTER, "archived": FLAG}),
    "Member": obj({"id": ID, "username": TEXT, "role": {"enum": ["owner", "admin", "member"]}, "active": FLAG}),
    "Report": obj({"id": ID, "message_id": ID, "reason": {"enum": ["spam", "abuse", "other"]}, "text": TEXT,
                   "status": TEXT, "created_at": TEXT}),
    "SettledReport": {"allOf": [ref("Report"), obj({"resolution": RESOLUTION})]},
    "Presence": obj({"visible": FLAG, "online": {"type": ["boolean", "null"]},
                     "last_seen_at": {"type": ["string", "null"]}}),
    "PresenceEntry": obj({"user_id": ID, "visible": FLAG, "online": {"type": ["boolean", "null"]},
                          "last_seen_at": {"type": ["string", "null"]}}),
    "Contact": obj({"id": ID, "username": TEXT, "display_name": TEXT, "since": TEXT, "presence": ref("Presence")}),
    "ContactRequest": obj({"id": ID, "requester": ref("User"), "recipient": ref("User"), "created_at": TEXT}),
    "Block": obj({"user": ref("User"), "created_at": TEXT}),
    "Privacy": obj({"direct_chats": {"enum": ["everyone", "contacts"]},
                    "last_seen": {"enum": ["everyone", "contacts", "nobody"]},
                    "read_receipts": {"enum": ["everyone", "contacts", "nobody"]}}),
    "Session": obj({"id": TEXT, "device": TEXT, "user_agent": {"type": ["string", "null"]},
                    "ip_address": {"type": ["string", "null"]}, "method": {"enum": ["password", "code", "qr", "token"]},
                    "created_at": TEXT, "last_seen_at": TEXT, "current": FLAG}),
    "PushSubscription": obj({"id": ID, "endpoint": TEXT, "include_text": FLAG, "created_at": TEXT},
                            {"user_agent": {"type": ["string", "null"]}, "last_sent_at": {"type": ["string", "null"]}}),
    "Account": obj({"id": ID, "username": TEXT, "display_name": TEXT, "role": {"enum": ["user", "admin"]},
                    "active": FLAG, "must_change_password": FLAG, "created_at": TEXT,
                    "deactivated_at": {"type": ["string", "null"]}, "suspended_until": {"type": ["string", "null"]},
                    "suspension_reason": {"type": ["string", "null"]}},
                   {"email": {"type": ["string", "null"]}, "phone": {"type": ["string", "null"]},
                    "last_seen_at": {"type": ["string", "null"]}}),
    "Token": obj({"id": ID, "name": TEXT, "created_at": TEXT, "expires_at": {"type": ["string", "null"]},
                  "last_used_at": {"type": ["string", "null"]}}),
}

REFUSALS = {"400": "invalid input", "401": "not authenticated", "403": "not allowed", "404": "unknown",
            "405": "no such method", "409": "conflict", "413": "body too large", "429": "too many requests"}
FILE_REFUSALS = {"410": "file removed", "415": "type not allowed", "422": "upload does not match"}


def answer(status: int, fields: dict | None = None, description: str = "done") -> dict:
    schema = obj({"ok": OK, **(fields or {})})
    return {str(status): {"description": description, "content": {"application/json": {"schema": schema}}}}


def with_idempotency_key(operation: dict) -> dict:
    """A broadcast's optional Idempotency-Key header (actions.broadcasts.check_idempotency_key)."""
    key = {"name": "Idempotency-Key", "in": "header", "required": False,
           "description": "The same key again from the same operator: 409 broadcast_already_sent, nothing sent",
           "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}}
    return {**operation, "parameters": [*operation.get("parameters", []), key]}


def route(summary: str, *answers: dict, body: dict | None = None, query: dict | None = None,
          required_query: tuple[str, ...] = (), public: bool = False, refusals: dict = REFUSALS,
          form: dict | None = None) -> dict:
    """One operation; `body` is a JSON object's properties (names ending in * are required), and no other:
    a body with another field is refused (400 invalid_field; PUT /api/me/privacy: invalid_privacy). With neither
    `body` nor `form` the route takes no body: one with any field is refused 400 invalid_field (blueprints.api)."""
    operation = {"summary": summary, "responses": {}}
    for one in answers:
        operation["responses"].update(one)
    # Before the app: gunicorn answers a request line over 4094 bytes, a header line over 8190 bytes or more
    # than 100 headers with its own page (gunicorn.conf.py).
    operation["responses"]["414"] = {"description": "request line too long (the HTTP server's own page)"}
    operation["responses"]["431"] = {"description": "a header too long, or too many (the HTTP server's own page)"}
    for status, description in refusals.items():
        operation["responses"][status] = {"description": description, "content": {
            "application/json": {"schema": ref("Error")}}}
    if public:
        operation["security"] = []
    if body is not None:
        required = [name.rstrip("*") for name in body if name.endswith("*")]
        schema = {"type": "object", "properties": {name.rstrip("*"): value for name, value in body.items()},
                  "required": required, "additionalProperties": False}
        operation["requestBody"] = {"required": bool(required), "content": {"application/json": {"schema": schema}}}
    if form is not None:
        operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": form}}}
    if query:
        operation["parameters"] = [{"name": name, "in": "query", "required": name in required_query,
                                    "schema": schema} for name, schema in query.items()]
    return operation


def limit(maximum: int) -> dict:
    return {"type": "integer", "minimum": 1, "maximum": maximum}


FILE_BYTES = {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}, "required": ["file"]}
REDIRECT = {"302": {"description": "to a short-lived URL of the file"}}
TOKEN = {"token": TEXT, "expires_at": {"type": ["string", "null"]}, "user": ref("User")}
SESSION_ID = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,32}$"}
TOKEN_DAYS = {"type": "integer", "minimum": 0, "maximum": 3650}
SENT = {"recipients": COUNTER, "messages": listing("Message")}
ACCOUNT = answer(200, {"user": ref("Account")})
MESSAGE = answer(200, {"message": ref("Message")})
GROUP = answer(200, {"conversation": ref("Conversation")})
PICTURE = {"type": "object", "properties": {"crop_x": TEXT, "crop_y": TEXT, "crop_size": TEXT,
                                           "file": {"type": "string", "format": "binary"}}, "required": ["file"]}
PICTURE_REFUSALS = {**REFUSALS, "415": "not a PNG, JPEG, GIF or WebP image", "422": "unreadable, too many pixels "
                    "or a crop that does not fit"}
PICTURE_ANSWERS = ({"302": {"description": "to a short-lived URL of the uploaded picture (JPEG)"}},
                   {"200": {"description": "the initials picture", "content": {"image/svg+xml": {"schema": {}}}}})
PICTURE_QUERY = {"size": {"enum": ["small", "medium", "large"]},
                 "v": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}}
CONFIRMATION = obj({"channel": {"enum": ["email", "phone"]}, "sent_to": TEXT})

PATHS = {
    "/api/openapi.json": {"get": route("This document", {"200": {"description": "OpenAPI 3.1", "content": {
        "application/json": {"schema": {"type": "object"}}}}}, public=True,
        refusals={"400": "a body with a field, or no JSON object (it takes none)", "413": "body too large"})},
    "/api/accounts": {"post": route(
        "Register; a bearer token, or (REGISTRATION=email/phone) a code sent to the address to confirm",
        answer(201, {**TOKEN, "confirmation": CONFIRMATION}, "registered (the confirmation only when an address "
               "was given)"),
        answer(202, {"user": ref("User"), "confirmation": CONFIRMATION}, "registered; the address must be confirmed "
               "before the account can be used"),
        public=True, body={"username*": TEXT, "password*": TEXT, "display_name": TEXT, "email": TEXT, "phone": TEXT,
                           "invite": TEXT})},
    "/api/accounts/confirm": {"post": route("Confirm the address with the code sent there; answers with a bearer token",
                                            answer(200, TOKEN), public=True,
                                            body={"username*": TEXT, "password*": TEXT, "code*": TEXT,
                                                  "totp": TEXT})},
    "/api/accounts/resend": {"post": route("Send a new code to the address waiting for confirmation",
                                           answer(202, {"confirmation": CONFIRMATION}), public=True,
                                           body={"username*": TEXT, "password*": TEXT, "email": TEXT,
                                                 "phone": TEXT, "totp": TEXT})},
    "/api/password-reset": {"post": route("Send a password reset code to the account's confirmed address (the same "
                                          "answer whether it exists or not)", answer(202), public=True,
                                          body={"login*": TEXT})},
    "/api/password-reset/confirm": {"post": route(
        "A new password with the reset code; every session and token of the account ends; answers with a new token",
        answer(200, TOKEN), public=True, body={"login*": TEXT, "code*": TEXT, "password*": TEXT, "totp": TEXT})},
    "/api/tokens": {
        "post": route("Exchange a username and password (and the two-factor code as totp, if the account has it) "
                      "for a bearer token", answer(201, TOKEN), public=True,
                      body={"username*": TEXT, "password*": TEXT, "totp": TEXT, "name": TEXT,
                            "expires_in_days": TOKEN_DAYS}),
        "get": route("The caller's API tokens", answer(200, {"tokens": listing("Token")}))},
    "/api/tokens/{token_id}": {"delete": route("Revoke one of the caller's API tokens", answer(200, {"token_id": ID}))},
    "/api/sessions": {
        "get": route("The caller's login sessions", answer(200, {"sessions": listing("Session")})),
        "delete": route("Log out every other session of the caller", answer(200, {"ended": COUNTER}),
                        query={"others": {"enum": ["1"]}}, required_query=("others",))},
    "/api/sessions/{session_id}": {"delete": route("Log one of the caller's sessions out",
                                                   answer(200, {"session_id": TEXT}))},
    "/api/tokens/current": {"delete": route("Revoke the bearer token of this request",
                                            answer(200, {"revoked": FLAG}))},
    "/api/me": {"get": route("The caller, with their profile", answer(200, {"user": ref("Profile")})),
                "patch": route("Change one's display name, status line or time zone", answer(200, {
                    "user": ref("Profile")}), body={"display_name": TEXT, "status_text": TEXT,
                                                    "time_zone": {"type": ["string", "null"]}})},
    "/api/me/avatar": {
        "post": route("Upload one's picture: cropped square, resized to 64, 192 and 512 pixels",
                      answer(200, {"user": ref("Profile")}), form=PICTURE, refusals=PICTURE_REFUSALS),
        "delete": route("Back to the initials picture", answer(200, {"user": ref("Profile")}))},
    "/api/users/{user_id}": {"get": route("Someone's profile card", answer(200, {"user": ref("Profile")}))},
    "/api/users/{user_id}/avatar": {"get": route("A user's picture", *PICTURE_ANSWERS, query=PICTURE_QUERY)},
    "/api/groups/{conversation_id}/avatar": {
        "get": route("A group's picture", *PICTURE_ANSWERS, query=PICTURE_QUERY),
        "post": route("Owners and admins set the group's picture", answer(200, {"conversation": ref("Conversation")}),
                      form=PICTURE, refusals=PICTURE_REFUSALS),
        "delete": route("Owners and admins remove the group's picture",
                        answer(200, {"conversation": ref("Conversation")}))},
    "/api/users": {"get": route("Search active users (neither deactivated, suspended nor unconfirmed)",
                                answer(200, {"users": listing("User")}),
                                query={"q": TEXT, "limit": limit(100)})},
    "/api/conversations": {"get": route("The caller's conversations", answer(200, {
        "conversations": listing("Conversation")}))},
    "/api/conversations/{conversation_id}": {"get": route("One conversation", answer(200, {
        "conversation": ref("Conversation")}))},
    "/api/conversations/{conversation_id}/members": {"get": route("Its members", answer(200, {
        "members": listing("Member")}))},
    "/api/conversations/{conversation_id}/messages": {
        "get": route("A page of history", answer(200, {"messages": listing("Message"), "has_more": FLAG}),
                     query={"before": ID, "after": COUNTER, "limit": limit(100)}),
        "post": route("Send a message", answer(201, {"message": ref("Message"), "duplicate": FLAG}),
                      answer(200, {"message": ref("Message"), "duplicate": FLAG}, "a retry"),
                      body={"body": TEXT, "client_id": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$"},
                            "attachment_id": ID, "reply_to": ID})},
    "/api/conversations/{conversation_id}/changes": {"get": route(
        "Every change after a revision", answer(200, {"revision": COUNTER, "has_more": FLAG,
                                                      "messages": listing("Message")}),
        query={"since": COUNTER, "limit": limit(500)}, required_query=("since",))},
    "/api/conversations/{conversation_id}/read": {"post": route(
        "Mark read up to seq", answer(200, {"last_read_seq": COUNTER}), body={"seq*": COUNTER})},
    "/api/conversations/{conversation_id}/delivered": {"post": route(
        "Ack messages up to seq as received by one of the caller's clients (delivered ticks)",
        answer(200, {"last_delivered_seq": COUNTER}), body={"seq*": COUNTER})},
    "/api/conversations/{conversation_id}/files": {"post": route(
        "Upload a file through the server", answer(201, {"attachment": ref("Attachment")}), form=FILE_BYTES,
        refusals={**REFUSALS, **FILE_REFUSALS})},
    "/api/conversations/{conversation_id}/files/direct": {"post": route(
        "Start an upload straight to storage", answer(201, {"attachment": ref("Attachment"), "upload": obj({
            "url": TEXT, "fields": {"type": "object"}})}),
        body={"filename*": TEXT, "content_type*": TEXT, "size*": ID}, refusals={**REFUSALS, **FILE_REFUSALS})},
    "/api/files/{attachment_id}": {"get": route("A file's details", answer(200, {"attachment": ref("Attachment")}),
                                                refusals={**REFUSALS, **FILE_REFUSALS})},
    "/api/files/{attachment_id}/complete": {"post": route(
        "Report a direct upload done", answer(200, {"attachment": ref("Attachment")}),
        refusals={**REFUSALS, **FILE_REFUSALS})},
    "/api/messages/{message_id}": {
        "patch": route("The author edits", answer(200, {"message": ref("Message")}), body={"body*": TEXT}),
        "delete": route("The author deletes", answer(200, {"message": ref("Message")}))},
    "/api/messages/{message_id}/around": {"get": route(
        "The history around a message, oldest first (about half before it)",
        answer(200, {"conversation_id": ID, "messages": listing("Message"), "has_more_before": FLAG,
                     "has_more_after": FLAG}), query={"limit": limit(100)})},
    "/api/messages/{message_id}/reactions": {
        "post": route("React with an emoji", answer(200, {"message": ref("Message")}), body={"emoji*": TEXT}),
        "delete": route("Take back one's emoji", answer(200, {"message": ref("Message")}), query={"emoji": TEXT},
                        required_query=("emoji",))},
    "/api/messages/{message_id}/report": {"post": route(
        "Report a message to the operators", answer(201, {"report": ref("Report")}),
        body={"reason*": {"enum": ["spam", "abuse", "other"]}, "text": TEXT})},
    "/api/direct": {"post": route("Open a direct chat", answer(201, {"conversation": ref("Conversation")}),
                                  answer(200, {"conversation": ref("Conversation")}, "it existed"),
                                  body={"user_id*": ID})},
    "/api/contacts": {"get": route("The caller's contacts with their presence", answer(200, {
        "contacts": listing("Contact")}))},
    "/api/contacts/{user_id}": {"delete": route("End a contact, for both people", answer(200, {"user_id": ID}))},
    "/api/contacts/requests": {
        "get": route("Contact requests waiting for the caller (incoming) and the caller's own (outgoing)",
                     answer(200, {"incoming": listing("ContactRequest"), "outgoing": listing("ContactRequest")})),
        "post": route("Ask someone, named by exactly one of username, email or phone, to be a contact",
                      answer(201, {"state": {"const": "pending"}, "request": ref("ContactRequest")}),
                      answer(200, {"state": {"const": "accepted"}, "request": ref("ContactRequest")},
                             "they had asked first: now contacts"),
                      body={"username": TEXT, "email": TEXT, "phone": TEXT})},
    "/api/contacts/requests/{request_id}/accept": {"post": route(
        "The recipient accepts a contact request", answer(200, {"state": {"const": "accepted"},
                                                                 "request": ref("ContactRequest")}))},
    "/api/contacts/requests/{request_id}/decline": {"post": route(
        "The recipient declines a contact request, or its requester withdraws it",
        answer(200, {"state": {"enum": ["declined", "cancelled"]}, "request_id": ID}))},
    "/api/blocks": {
        "get": route("The people the caller blocked", answer(200, {"blocks": listing("Block")})),
        "post": route("Block someone", answer(201, {"block": ref("Block")}),
                      answer(200, {"block": ref("Block")}, "blocked already"), body={"user_id*": ID})},
    "/api/blocks/{user_id}": {"delete": route("Unblock someone", answer(200, {"user_id": ID}))},
    "/api/me/language": {
        "get": route("The caller's interface language (null: the browser's) and the languages there are",
                     answer(200, {"language": LANGUAGE, "languages": {"type": "array", "items": TEXT}})),
        "put": route("Choose the caller's interface language: pages and code e-mails (error messages stay English)",
                     answer(200, {"language": LANGUAGE, "languages": {"type": "array", "items": TEXT}}),
                     body={"language*": LANGUAGE})},
    "/api/me/privacy": {
        "get": route("The caller's privacy settings", answer(200, {"privacy": ref("Privacy")})),
        "put": route("Change some of the caller's privacy settings", answer(200, {"privacy": ref("Privacy")}),
                     body={"direct_chats": {"enum": ["everyone", "contacts"]},
                           "last_seen": {"enum": ["everyone", "contacts", "nobody"]},
                           "read_receipts": {"enum": ["everyone", "contacts", "nobody"]}})},
    "/api/users/{user_id}/presence": {"get": route(
        "Someone's online state and last seen, as their privacy settings and blocks let the caller see it",
        answer(200, {"user_id": ID, "presence": ref("Presence")}))},
    "/api/presence": {"get": route(
        "Several people's online state and last seen (1–200 ids), as their privacy settings and blocks let the "
        "caller see it; unknown accounts and those not active (deactivated, suspended, not yet confirmed) are left out",
        answer(200, {"presence": {"type": "array", "items": ref("PresenceEntry")}}),
        query={"user_ids": {"type": "string", "pattern": "^[0-9]+(,[0-9]+)*$"}}, required_query=("user_ids",))},
    "/api/conversations/{conversation_id}/presence": {"get": route(
        "A conversation's members' presence and how many are online (those the caller may see, the caller "
        "included); members only",
        answer(200, {"conversation_id": ID, "online_count": COUNTER,
                     "presence": {"type": "array", "items": ref("PresenceEntry")}}))},
    "/api/conversations/{conversation_id}/receipts": {"get": route(
        "How far each other member has received (delivered), and read where their privacy settings let the "
        "caller see it (null otherwise)",
        answer(200, {"receipts": {"type": "array", "items": obj({
            "user_id": ID, "user": ref("User"), "last_delivered_seq": COUNTER,
            "last_read_seq": {"anyOf": [COUNTER, {"type": "null"}]}})}}))},
    "/api/search/messages": {"get": route(
        "Search the messages of the caller's conversations (every term, parts of words, any script), newest "
        "first; the next page with before_id the last id",
        answer(200, {"messages": listing("Message"), "terms": {"type": "array", "items": TEXT}, "has_more": FLAG}),
        query={"q": TEXT, "conversation_id": ID, "since": TEXT, "until": TEXT, "before_id": ID, "limit": limit(50)},
        required_query=("q",))},
    "/api/conversations/{conversation_id}/mute": {
        "put": route("Mute a conversation: everything but mentions is silenced (sounds, notifications, Web Push)",
                     answer(200, {"conversation_id": ID, "muted": FLAG})),
        "delete": route("Unmute a conversation", answer(200, {"conversation_id": ID, "muted": FLAG}))},
    "/api/push/key": {"get": route("The Web Push (VAPID) public key, base64url", answer(200, {"public_key": TEXT}))},
    "/api/push/subscriptions": {
        "get": route("The caller's Web Push subscriptions", answer(200, {"subscriptions": {
            "type": "array", "items": ref("PushSubscription")}})),
        "post": route("Push this browser the caller's messages while they have no live socket",
                      answer(201, {"subscription": ref("PushSubscription")}),
                      body={"subscription*": obj({"endpoint": TEXT, "keys": obj({"p256dh": TEXT, "auth": TEXT})}),
                            "include_text": FLAG}),
        "delete": route("Stop pushing to a browser", answer(200), body={"endpoint*": TEXT})},
    "/api/groups": {
        "get": route("Public groups", answer(200, {"groups": listing("Conversation")}),
                     query={"q": TEXT, "limit": limit(100)}),
        "post": route("Create a group", answer(201, {"conversation": ref("Conversation")}), body={
            "name*": TEXT, "description": TEXT, "visibility": {"enum": ["public", "private"]},
            "member_ids": {"type": "array", "items": ID, "maxItems": 500}})},
    "/api/groups/{conversation_id}": {
        "patch": route("Rename or describe a group", answer(200, {"conversation": ref("Conversation")}),
                       body={"name": TEXT, "description": TEXT}),
        "delete": route("The owner deletes the group (archived now, removed by a job)", answer(202))},
    "/api/groups/{conversation_id}/preview": {"get": route(
        "A public group before joining: its newest messages and member count",
        answer(200, {"conversation": ref("Conversation"), "messages": listing("Message")}))},
    "/api/groups/{conversation_id}/owner": {"post": route(
        "The owner hands the group to another member (the caller stays an admin)",
        answer(200, {"member": ref("Member")}), body={"user_id*": ID})},
    "/api/groups/{conversation_id}/join": {"post": route("Join a public group", answer(200, {
        "conversation": ref("Conversation")}))},
    "/api/groups/{conversation_id}/leave": {"post": route("Leave a group", answer(200))},
    "/api/groups/{conversation_id}/members": {"post": route("Add a member", answer(201, {"member": ref("Member")}),
                                                            body={"user_id*": ID})},
    "/api/groups/{conversation_id}/members/{user_id}": {
        "delete": route("Remove a member", answer(200)),
        "patch": route("Set a member's role", answer(200, {"member": ref("Member")}),
                       body={"role*": {"enum": ["owner", "admin", "member"]}})},
    "/api/admin/broadcasts": {"post": with_idempotency_key(route(
        "Operators: a notice to every account, posted by a job",
        answer(202, {"recipients": COUNTER, "queued": OK}), body={"body*": TEXT}))},
    "/api/admin/users/{user_id}/notices": {"post": with_idempotency_key(route(
        "Operators: a notice to one user", answer(201, SENT), body={"body*": TEXT}))},
    "/api/admin/groups/{conversation_id}/broadcasts": {"post": with_idempotency_key(route(
        "Operators: a system message in a group", answer(201, SENT), body={"body*": TEXT}))},
    "/api/admin/users/{user_id}": {"get": route("Operators: an account and its live login sessions", answer(
        200, {"user": ref("Account"), "sessions": listing("Session")}))},
    **{f"/api/admin/users/{{user_id}}/{operation}": {"post": route(summary, ACCOUNT, body=body)}
       for operation, summary, body in (
           ("deactivate", "Operators: deactivate an account for good (a ban)", None),
           ("reactivate", "Operators: lift a deactivation or a suspension", None),
           ("suspend", "Operators: suspend an account until a time, for a reason the user is told",
            {"until*": TEXT, "reason*": TEXT}),
           ("unsuspend", "Operators: end a suspension now", None),
           ("password", "Operators: set a temporary password", {"temporary_password*": TEXT}),
           ("role", "Operators: make an account an operator or a regular user", {"role*": {"enum": ["user", "admin"]}}),
       )},
    "/api/admin/users/{user_id}/sessions": {"delete": route("Operators: log an account out everywhere", answer(
        200, {"ended": COUNTER}))},
    "/api/admin/users/{user_id}/sessions/{session_id}": {"delete": route(
        "Operators: end one login session of an account", answer(200, {"session_id": TEXT}))},
    "/api/admin/messages/{message_id}": {"delete": route("Operators: erase a message for good", MESSAGE)},
    "/api/admin/messages/{message_id}/hide": {"post": route("Operators: hide a message from everyone", MESSAGE)},
    "/api/admin/messages/{message_id}/unhide": {"post": route("Operators: show a hidden message again", MESSAGE)},
    "/api/admin/groups/{conversation_id}": {"delete": route(
        "Operators: delete a group (archived now, removed by a job)", answer(202))},
    "/api/admin/groups/{conversation_id}/archive": {"post": route("Operators: archive a group", GROUP)},
    "/api/admin/groups/{conversation_id}/unarchive": {"post": route("Operators: open an archived group", GROUP)},
    "/api/admin/groups/{conversation_id}/members": {"post": route(
        "Operators: add a member to a group", answer(201, {"member": ref("Member")}), body={"user_id*": ID})},
    "/api/admin/groups/{conversation_id}/members/{user_id}": {
        "delete": route("Operators: remove a member from a group", answer(200)),
        "patch": route("Operators: set a member's role", answer(200, {"member": ref("Member")}),
                       body={"role*": {"enum": ["owner", "admin", "member"]}})},
    "/api/admin/reports/{report_id}/resolve": {"post": route("Operators: settle a report", answer(200, {
        "report": ref("SettledReport")}), body={"resolution*": RESOLUTION,
                                                "hours": {"type": "integer", "minimum": 1, "maximum": 720}})},
    "/files/{attachment_id}": {"get": route("Download (a redirect)", REDIRECT, query={"download": {"enum": ["1"]}},
                                            refusals={**REFUSALS, **FILE_REFUSALS})},
    "/files/{attachment_id}/thumbnail": {"get": route("An image's thumbnail (a redirect)", REDIRECT,
                                                      refusals={**REFUSALS, **FILE_REFUSALS})},
    "/files/local/{token}": {"get": route("A signed download link of local storage", {"200": {
        "description": "the file", "content": {"*/*": {"schema": {}}}}}, public=True,
        refusals={**REFUSALS, **FILE_REFUSALS})},
    "/files/local-upload/{token}": {"post": route("A signed direct upload to local storage", {"204": {
        "description": "stored"}}, public=True, form={"type": "object"}, refusals={**REFUSALS, **FILE_REFUSALS})},
    "/healthz": {"get": route("Liveness: the process answers (no dependency is asked)", answer(200), public=True,
                              refusals={})},
}


def with_path_parameters(path: str, operation: dict) -> dict:
    """The operation with its path's `{name}` parameters: ids, or a signed link's token."""
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    schemas = {"token": TEXT, "session_id": SESSION_ID}
    parameters = [{"name": name, "in": "path", "required": True, "schema": schemas.get(name, ID)} for name in names]
    return {**operation, "parameters": parameters + operation.get("parameters", [])}


def openapi_path(rule: str) -> str:
    """A url_map rule in OpenAPI's spelling: /api/groups/<id:conversation_id> is /api/groups/{conversation_id}."""
    return re.sub(r"<(?:\w+(?:\(.*?\))?:)?(\w+)>", r"{\1}", rule)


def takes_a_body(rule: str, methods) -> bool:
    """Whether the route reads a request body (a JSON object or a multipart upload) with one of these methods:
    its operation has one. Every other /api route refuses a body with a field (blueprints.api)."""
    return any("requestBody" in PATHS[openapi_path(rule)][method.lower()] for method in methods)


@cache
def openapi_document() -> dict:
    paths = {path: {method: with_path_parameters(path, operation) for method, operation in operations.items()}
             for path, operations in PATHS.items()}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Switchboard", "version": "1", "description": (
            "REST API of Switchboard; docs/protocol.md describes it, its errors and the Socket.IO events. "
            f"JSON bodies are objects nested at most {MAX_DEPTH} levels deep; integers stay within "
            f"±{MAX_SAFE_INTEGER}; text holds no control characters (newline and tab in multi-line "
            "text only) and no unpaired surrogates.")},
        "paths": paths,
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "session": {"type": "apiKey", "in": "cookie", "name": "session"}}},
        "security": [{"bearer": []}, {"session": []}],
    }


@bp.get("/openapi.json")
def openapi():
    """This API's OpenAPI document (public: it describes, it grants nothing)."""
    return jsonify(openapi_document())
