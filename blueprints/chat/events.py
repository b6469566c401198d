"""Socket.IO events of the chat. Client -> server events answer through their ack;
server -> client events are listed in docs/protocol.md."""
from __future__ import annotations

import logging

from flask import current_app, g, request
from flask_socketio import ConnectionRefusedError, join_room, leave_room, rooms

from actions.conversations import list_conversations, mark_read
from actions.errors import ActionError, InvalidInput, Unauthorized, unavailable, unknown_event
from actions.messages import (
    ChangeSet,
    admit_message_send,
    changes_since,
    delete_message,
    edit_message,
    message_history,
    send_message,
)
from actions.receipts import mark_delivered
from actions.resync import changes_since_each
from actions.validation import check_id, check_int, check_limit
from blueprints.chat.socket_support import socket_event
from blueprints.faults import fault_answer
from blueprints.identity import remember_socket_principal, socket_opener, socket_user_id
from events.unit_of_work import reads_apart
from extensions import socketio
from payloads import error_payload, message_payload, summary_payload
from realtime import conversation_room, user_room
from realtime.presence import presence
from realtime.reconcile import KeptChanging, read_unchanged
from realtime.socketio_adapter import room_changes_of, start_receiving, still_open, tell_delivery_status

log = logging.getLogger(__name__)
MAX_SYNC_CONVERSATIONS = 500
# Messages in one `sync` answer, over all its cursors: each answers at most this many divided by their
# number (and at most `limit`), so that one event cannot hold the worker for seconds or its memory for
# megabytes; the rest comes with `has_more`, as a conversation's rest always does (docs/protocol.md).
SYNC_MESSAGES_PER_ANSWER = 1000


@socketio.on("connect")
def on_connect(auth=None):
    """Client connects with its session cookie or `auth={"token": ...}`; anyone else is refused."""
    start_receiving(current_app)
    sid, online = request.sid, []
    try:
        read_unchanged(room_changes_of(current_app), lambda: _connect(auth, online), lambda rooms: rooms)
        if not still_open(sid):  # the client left while this ran: no socket to keep (nor anyone online)
            raise ConnectionRefusedError("gone")
    except Exception as error:
        if online:  # made online by a reading, then refused: as if it had disconnected
            presence.disconnected(online[0], sid)
        if isinstance(error, ConnectionRefusedError):
            raise
        # answered, never silence: the client may try again (`unavailable`)
        refused = unavailable() if isinstance(error, KeptChanging) else fault_answer(error, "socket connect")
        raise ConnectionRefusedError(refused.message, refused.as_dict()) from None
    tell_delivery_status(current_app, sid)


def _connect(auth, online: list[int]) -> tuple[str, ...]:
    """One reading of who opens the socket and what they may read, applied: the socket in exactly
    their rooms, and their first connection anywhere makes them online for the people who may see it
    (realtime.presence_tracker, batched; `online` says it was done). Made again while room changes
    were applied meanwhile (realtime.reconcile.read_unchanged): one aimed at the user's or the
    credential's room before the socket was in it passed it by, and until the connect returns the
    socket is not connected for python-socketio, whose disconnect would let it be."""
    g.pop("_login_user", None)  # Flask-Login's user of this context: the login session is read again
    try:
        opener = socket_opener(auth)
    except ActionError as error:  # an account not open (check_account_open)
        raise ConnectionRefusedError(error.message, error.as_dict()) from None
    if opener is None:
        refused = Unauthorized("unauthorized", "Log in or send a valid token.")
        raise ConnectionRefusedError(refused.message, refused.as_dict())
    # Reads only: the user's last-seen time is written by the presence tracker's batch when they come
    # online (actions.presence.announce_presence_changes) and at disconnect, never by each connect
    # (a token's last use, at most once a minute: actions.sessions.note_token_used).
    remember_socket_principal(opener)
    aimed_at = (user_room(opener.user_id), *([opener.room] if opener.room is not None else []))
    _enter_only({*aimed_at, *map(conversation_room, opener.readable_conversation_ids)})
    if not online:
        presence.connected(opener.user_id, request.sid)
        online.append(opener.user_id)
    return aimed_at  # the rooms the room changes that concern this socket are aimed at


def _enter_only(wanted: set[str]) -> None:
    """The connecting socket in exactly these rooms (and its own): an earlier reading's others left.
    The credential's room (a token's, a login session's) is how it is cut with its credential."""
    joined = set(rooms()) - {request.sid}
    for room in joined - wanted:
        leave_room(room)
    for room in wanted - joined:
        join_room(room)


@socketio.on("disconnect")
def on_disconnect(reason=None):
    """Forget the socket. Writes nothing: the presence tracker's next batch records the user as last
    seen now, for everyone who left meanwhile in one UPDATE (a reconnect storm drops thousands at
    once), and makes them offline for others once their last socket has been gone for
    PRESENCE_GRACE_SECONDS (realtime.presence_tracker)."""
    user_id = socket_user_id()  # also for a user deactivated meanwhile
    if user_id is not None:
        presence.disconnected(user_id, request.sid)


def _admit_send(user_id: int, payload: dict) -> None:
    admit_message_send(user_id, payload.get("client_id"))  # the send rate, before any query


@socket_event("message:send", admit=_admit_send, sends_a_message=True)
def on_message_send(user, payload):
    """Client sends {conversation_id, body, client_id, attachment_id?, reply_to?}; ack carries the stored message."""
    sent = send_message(user, check_id(payload.get("conversation_id"), "conversation_id"),
                        payload.get("body"), client_id=payload.get("client_id"),
                        attachment_id=check_id(payload.get("attachment_id"), "attachment_id", required=False),
                        reply_to=payload.get("reply_to"), admitted=True)
    return {"message": message_payload(sent.message), "duplicate": not sent.created}


@socket_event("message:edit")
def on_message_edit(user, payload):
    """Author edits {message_id, body}; members get message:updated."""
    message = edit_message(user, check_id(payload.get("message_id"), "message_id"), payload.get("body"))
    return {"message": message_payload(message)}


@socket_event("message:delete")
def on_message_delete(user, payload):
    """Author deletes {message_id}; members get message:updated with removed=true."""
    message = delete_message(user, check_id(payload.get("message_id"), "message_id"))
    return {"message": message_payload(message)}


@socket_event("conversation:read")
def on_conversation_read(user, payload):
    """Client reports {conversation_id, seq} read; the user's other sockets get conversation:read."""
    membership = mark_read(user, check_id(payload.get("conversation_id"), "conversation_id"),
                           check_int(payload.get("seq"), "seq", minimum=0))
    return {"last_read_seq": membership.last_read_seq}


@socket_event("conversation:delivered")
def on_conversation_delivered(user, payload):
    """Client acks {conversation_id, seq} received; the authors of the messages it passes get conversation:receipt."""
    membership = mark_delivered(user, check_id(payload.get("conversation_id"), "conversation_id"),
                                check_int(payload.get("seq"), "seq", minimum=0))
    return {"last_delivered_seq": membership.last_delivered_seq}


@socket_event("conversations:list")
def on_conversations_list(user, payload):
    """Client asks for its conversation list (last message, unread counts)."""
    return {"conversations": [summary_payload(summary) for summary in list_conversations(user)]}


@socket_event("messages:history")
def on_history(user, payload):
    """Client pages history: {conversation_id, before?, after?, limit?}."""
    page = message_history(
        user, check_id(payload.get("conversation_id"), "conversation_id"),
        before=check_int(payload.get("before"), "before", minimum=1, required=False),
        after=check_int(payload.get("after"), "after", minimum=0, required=False),
        limit=check_limit(payload.get("limit")),
    )
    return {"messages": [message_payload(m) for m in page.messages], "has_more": page.has_more}


@socket_event("sync")
def on_sync(user, payload):
    """After a reconnect: {conversations: [{conversation_id, since}]} -> what changed since each revision."""
    cursors = payload.get("conversations")
    if not isinstance(cursors, list) or len(cursors) > MAX_SYNC_CONVERSATIONS:
        raise InvalidInput("invalid_conversations",
                           f"conversations must be a list of at most {MAX_SYNC_CONVERSATIONS} cursors.")
    limit = check_limit(payload.get("limit"), default=100, maximum=500)
    results = []
    for cursor in cursors:
        if not isinstance(cursor, dict):
            raise InvalidInput("invalid_conversations", "Each cursor is {conversation_id, since}.")
        conversation_id = check_id(cursor.get("conversation_id"), "conversation_id")
        since = check_int(cursor.get("since"), "since", minimum=0)
        results.append((conversation_id, since))
    if len({conversation_id for conversation_id, _since in results}) != len(results):
        raise InvalidInput("invalid_conversations", "Each conversation may have one cursor only.")
    limit = min(limit, max(1, SYNC_MESSAGES_PER_ANSWER // max(1, len(results))))
    try:
        with reads_apart():  # all of them together; a fault falls back to one by one, below
            answers = changes_since_each(user, results, limit)
            return {"conversations": [_sync_answer(conversation_id, answers[conversation_id])
                                      for conversation_id, _since in results]}
    except Exception as error:  # noqa: BLE001  (the one-by-one answers tell each conversation's own fault)
        log.warning("sync of %d conversations together failed, one by one now (%s)", len(results),
                    type(error).__name__)
    return {"conversations": [_sync_one(user, conversation_id, since, limit) for conversation_id, since in results]}


def _sync_answer(conversation_id: int, changes: ChangeSet | ActionError) -> dict:
    if isinstance(changes, ActionError):
        return {"conversation_id": conversation_id, "error": changes.as_dict()}
    return {"conversation_id": conversation_id, "revision": changes.revision, "has_more": changes.has_more,
            "messages": [message_payload(m) for m in changes.messages]}


def _sync_one(user, conversation_id: int, since: int, limit: int) -> dict:
    """One cursor's answer, or its own error: one lost conversation, or one fault, must not hide
    the others. reads_apart keeps a failed query from aborting the transaction the others share."""
    try:
        with reads_apart():
            return _sync_answer(conversation_id, changes_since(user, conversation_id, since, limit=limit))
    except ActionError as error:
        return _sync_answer(conversation_id, error)
    except Exception as error:
        return {"conversation_id": conversation_id,
                "error": fault_answer(error, f"sync of conversation {conversation_id}").as_dict()}


@socketio.on("*")
def on_unknown_event(_event, *_payload):
    """An event this server does not have (a newer client's, a typo) is answered too, as every client
    event is (docs/protocol.md, Errors): python-socketio calls this for any event with no handler of its own."""
    return error_payload(unknown_event())
