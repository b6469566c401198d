"""What each gateway request does: parse its JSON fields, call the same actions as the chat, answer.

Each handler gets the connection, the caller (None for login and ping) and the packet's body,
and returns the response body; refusals raise ActionError (gateway.session answers them).
They run in one unit of work each: committed, then answered, then the change fans out.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from flask import current_app

from actions.access import list_readable_conversation_ids
from actions.accounts import check_account_open, has_expired
from actions.direct import open_direct_conversation
from actions.errors import Conflict, Forbidden, InvalidInput, Unauthorized
from actions.groups import join_group, leave_group
from actions.messages import admit_message_send, send_message
from actions.sessions import end_other_logins
from actions.validation import MAX_SAFE_INTEGER, check_id, check_int
from blueprints.identity import token_principal
from events import on_commit
from gateway.adapter import CONTENT_TYPES, RED_PACKET, TEXT, message_fields
from gateway.connection import Connection
from gateway.packets import JOIN_GROUP, LOGIN, PING, QUIT_GROUP, SEND_MESSAGE
from models import User
from realtime import token_room, user_room
from realtime.presence import presence

KIND_OF = {number: kind for kind, number in CONTENT_TYPES.items() if kind != "system"}


def login(connection: Connection, user: None, body: dict) -> dict:
    """{userId, token}: bind the connection to the token's user; a bare userId is not enough."""
    if connection.user_id is not None:
        raise Conflict("already_logged_in", "This connection is logged in already.")
    delivery = current_app.extensions["gateway_delivery"]
    # Before the token and the conversations are read: a close, follow or unfollow applied from here
    # until the connection is listed passes it by (realtime.reconcile's rule).
    mark = delivery.room_changes.count
    principal = token_principal(body.get("token"))
    if principal is None:
        raise Unauthorized("invalid_token", "Send a valid API token in `token` (POST /api/tokens).")
    user = principal.user
    claimed = check_id(body.get("userId"), "userId", required=False)
    if claimed is not None and claimed != user.id:
        raise Unauthorized("invalid_userId", "userId is not the user of this token.")
    check_account_open(user)
    end_other_logins(user, keep_connection_id=connection.id)  # SESSION_POLICY=single: this one device
    conversation_ids = list_readable_conversation_ids(user.id)

    user_id, token_id, expires_at = user.id, principal.credential, principal.expires_at  # the commit expires rows

    def logged_in() -> None:
        connection.user_id, connection.token_id, connection.token_expires_at = user_id, token_id, expires_at
        connection.logged_in_at = time.time()
        delivery.connections.add(connection, conversation_ids)
        if delivery.room_changes.since(mark, (user_room(user_id), token_room(token_id))):  # read again,
            # now that what comes reaches it
            delivery.start_background_task(delivery.reconcile, [connection])
        presence.connected(user_id, connection.presence_id)
        if delivery.bus_state != "ok":  # told after its answer: live delivery is degraded now
            connection.after_answer.append(delivery.status_packet())

    on_commit(logged_in)
    return {"success": True, "errorMsg": "", "userId": str(user.id), "userName": user.display_name}


def send(connection: Connection, user: User, body: dict) -> dict:
    """{contentType, content, chatId | toUserId, hasBeenSentId, ...}: store and fan out a message."""
    client_id = body.get("hasBeenSentId")
    if isinstance(client_id, int) and not isinstance(client_id, bool) and 0 <= client_id <= MAX_SAFE_INTEGER:
        client_id = str(client_id)  # clients often number their sends
    # The send rate first, as on every transport: past it, rate_limited whatever else is wrong with the send.
    admit_message_send(user.id, client_id)
    content_type = check_int(body.get("contentType"), "contentType", minimum=0, maximum=max(KIND_OF))
    if content_type == RED_PACKET:
        raise InvalidInput("red_packet_refused", "Red packets (contentType 4) are a payment feature this service "
                                                 "does not have.")
    _check_is_caller(user, body.get("fromUserId"), "fromUserId")
    conversation_id = _conversation_of(user, body)
    if content_type == TEXT:
        sent = send_message(user, conversation_id, body.get("content"), client_id=client_id, admitted=True)
    else:
        attachment_id = check_id(body.get("content"), "content")
        sent = send_message(user, conversation_id, body.get("caption"), client_id=client_id,
                            attachment_id=attachment_id, admitted=True)
    if sent.created and sent.message.kind != KIND_OF[content_type]:  # a resend is answered, never refused
        raise InvalidInput("invalid_contentType", f"contentType {content_type} says {KIND_OF[content_type]}; this "
                                                  f"content is a {sent.message.kind} message.")
    if sent.created:
        message_id = sent.message.id
        on_commit(lambda: connection.remember_answered(message_id))
    return {"success": True, "errorMsg": "", "duplicate": not sent.created, **message_fields(sent.message)}


def join(connection: Connection, user: User, body: dict) -> dict:
    """{chatId, userId}: join a group (public ones; a member joining again just follows it)."""
    _check_is_caller(user, body.get("userId"), "userId")
    conversation_id = check_id(body.get("chatId"), "chatId")
    try:
        join_group(user, conversation_id)
    except Conflict as error:
        if error.code != "already_a_member":
            raise
    delivery = current_app.extensions["gateway_delivery"]
    on_commit(lambda: delivery.connections.follow(connection, conversation_id))
    return {"success": True, "errorMsg": "", "chatId": str(conversation_id)}


def quit_group(connection: Connection, user: User, body: dict) -> dict:
    """{chatId, userId}: leave a group."""
    _check_is_caller(user, body.get("userId"), "userId")
    conversation_id = check_id(body.get("chatId"), "chatId")
    leave_group(user, conversation_id)
    delivery = current_app.extensions["gateway_delivery"]
    on_commit(lambda: delivery.connections.unfollow(connection, conversation_id))
    return {"success": True, "errorMsg": "", "chatId": str(conversation_id)}


def ping(connection: Connection, user: None, body: dict) -> dict:
    """The client's heartbeat: answered at once, and it keeps the connection from going idle. A logged-in
    connection whose token has expired is refused and closed, as at any other request, without a query
    (a client that only pings would otherwise go on hearing every message)."""
    if connection.user_id is not None and has_expired(connection.token_expires_at):
        raise Unauthorized("unauthorized", "This token has expired.")
    return {"success": True, "errorMsg": ""}


def _check_is_caller(user: User, value: object, field: str) -> None:
    """A user id the client repeats (fromUserId, userId) must be its own, when it is sent."""
    claimed = check_id(value, field, required=False)
    if claimed is not None and claimed != user.id:
        raise Forbidden("invalid_" + field, f"{field} must be the logged-in user's id.")


def _conversation_of(user: User, body: dict) -> int:
    """chatId names the conversation (a group's, or any the client got as conversationId); a
    toUserId without chatId, the private chat with that user (opened the first time)."""
    if body.get("chatId") not in (None, ""):
        return check_id(body.get("chatId"), "chatId")
    if body.get("toUserId") not in (None, ""):
        return open_direct_conversation(user, check_id(body.get("toUserId"), "toUserId")).conversation.id
    raise InvalidInput("invalid_chatId", "Send chatId (a group) or toUserId (a private chat).")


Handler = Callable[[Connection, User | None, dict], dict]
# command -> (handler, whether it needs a logged-in caller)
HANDLERS: dict[int, tuple[Handler, bool]] = {
    LOGIN: (login, False),
    PING: (ping, False),
    SEND_MESSAGE: (send, True),
    JOIN_GROUP: (join, True),
    QUIT_GROUP: (quit_group, True),
}
