"""The gateway's adapter of the domain events: committed facts become bzGhost packets.

The second adapter beside realtime.socketio_adapter, registered with the same dispatcher and
publishing on the same bus (realtime.bus): `prepare` renders each fact's packet body while the
transaction is still open, `deliver` publishes the frames once committed, and every process
applies them to its own gateway connections (gateway.delivery). Frames are JSON dicts with
`"to": "gateway"`, so each process hands them to its gateway delivery, not to Socket.IO:

- `{"action": "message", "order": [conversation, revision], "conversation", "message", "command", "body"}`:
  a message created (command 4, or -10 `systemMessage` for a service message) or changed (-10
  `messageUpdated`), to the connections that follow the conversation, in revision order;
- `{"action": "follow" | "unfollow", "user", "conversation", "body"}`: the user's connections
  start or stop following a conversation, and are told (-10 `conversationAdded` / `conversationRemoved`);
- `{"action": "close", "user" | "token", "reason", "keep"?, "before"?}`: the connections of a deactivated
  user, or opened with a revoked token, or of a user who logged in elsewhere under SESSION_POLICY=single
  (but `keep`, the connection that logged in, and those logged in after `before`, a Unix time), are told
  why (-10 `closed`) and closed.

Facts about read positions, titles and member lists have no packet in this format: nothing is sent.
"""
from __future__ import annotations

import time
from calendar import timegm
from collections.abc import Sequence
from datetime import datetime

from actions.access import direct_peer_id
from actions.sessions import SIGNED_IN_ELSEWHERE
from events import facts as f
from extensions import db
from gateway.packets import MESSAGE, PUSH
from models import Conversation, Membership, Message, User
from payloads import avatar_url, file_url
from realtime.deliveries import BusAdapter

GATEWAY = "gateway"  # the frames' `to`: realtime.deliveries hands them to gateway.delivery

# contentType on the wire, by message kind (docs/gateway.md, Content types). 4 is a red packet: refused.
CONTENT_TYPES = {"text": 0, "image": 1, "voice": 2, "video": 3, "file": 5, "system": 0}
TEXT, RED_PACKET = 0, 4


class GatewayAdapter(BusAdapter):
    def prepare(self, facts: Sequence[f.Fact]) -> list[dict]:
        # A deactivation revokes the user's tokens too: their connections are told the reason that matters.
        ended = {fact.user_id for fact in facts if isinstance(fact, f.UserSessionsRevoked)}
        return super().prepare([fact for fact in facts
                                if not (isinstance(fact, f.TokenRevoked) and fact.user_id in ended)])

    def _render(self, fact: f.Fact) -> list[dict]:
        if isinstance(fact, f.MessageCreated | f.MessageChanged):
            message = db.session.get(Message, fact.message_id)
            if message is None:  # deleted with its conversation in the same unit
                return []
            return [message_frame(message, fact.revision, created=isinstance(fact, f.MessageCreated))]
        if isinstance(fact, f.ConversationJoined):
            conversation = db.session.get(Conversation, fact.conversation_id)
            body = {"type": "conversationAdded", **conversation_fields(conversation, fact.user_id)}
            return [_frame("follow", user=fact.user_id, conversation=fact.conversation_id, body=body)]
        if isinstance(fact, f.ConversationLeft):
            body = {"type": "conversationRemoved", "conversationId": str(fact.conversation_id), "reason": fact.reason}
            return [_frame("unfollow", user=fact.user_id, conversation=fact.conversation_id, body=body)]
        if isinstance(fact, f.UserSessionsRevoked):
            return [_frame("close", user=fact.user_id, reason=fact.reason)]
        if isinstance(fact, f.TokenRevoked):
            return [_frame("close", token=fact.token_id, reason="token_revoked")]
        if isinstance(fact, f.SignedInElsewhere):  # one live device: all but the connection that logged in,
            # and any that logged in after this (two logins close together: the later one stays)
            return [_frame("close", user=fact.user_id, reason=SIGNED_IN_ELSEWHERE, keep=fact.kept_connection,
                           before=time.time())]
        return []  # read positions, titles, member lists, browser logouts, presence, typing: nothing in this format


def _frame(action: str, **fields) -> dict:
    return {"to": GATEWAY, "action": action, **fields}


def message_frame(message: Message, revision: int, created: bool) -> dict:
    """A message's packet: command 4 when created, -10 for a service message or a change."""
    fields = message_fields(message)
    if not created:
        command, body = PUSH, {"type": "messageUpdated", **fields}
    elif message.kind == "system":
        command, body = PUSH, {"type": "systemMessage", **fields}
    else:
        command, body = MESSAGE, {"success": True, "errorMsg": "", **fields}
    return _frame("message", order=[message.conversation_id, revision], conversation=message.conversation_id,
                  message=message.id, command=command, body=body)


def wire_id(value: int | None) -> str | None:
    """Ids are strings on the wire (the clients of this format use strings)."""
    return None if value is None else str(value)


def milliseconds(moment: datetime | None) -> int | None:
    """A stored (naive UTC) time as milliseconds since 1970-01-01 UTC."""
    if moment is None:
        return None
    return timegm(moment.utctimetuple()) * 1000 + moment.microsecond // 1000


def conversation_fields(conversation: Conversation, user_id: int) -> dict:
    """Which conversation, as the fields of this format name it (chatId only for a group)."""
    fields = {"conversationId": str(conversation.id), "chatId": wire_id(conversation.id) if conversation.is_group
              else None, "chatType": 1 if conversation.is_group else 0, "name": conversation.name}
    if not conversation.is_group:
        other = _other_member(conversation, user_id)
        fields["toUserId"], fields["name"] = wire_id(other.id if other else None), (
            other.display_name if other else conversation.name)
    return fields


def message_fields(message: Message) -> dict:
    """A message as every packet that carries one has it (docs/gateway.md, Message fields)."""
    conversation = db.session.get(Conversation, message.conversation_id)
    sender = message.sender
    if conversation.is_group:
        to_id, to_name = conversation.id, conversation.name
    else:  # the other person (the member of a notices conversation, for a service message there)
        other = _other_member(conversation, message.sender_id)
        to_id, to_name = (other.id, other.display_name) if other else (None, conversation.name)
    removed_by = "moderator" if message.hidden_at else "author" if message.deleted_at else None
    attachment = message.attachment if message.attachment is not None and removed_by is None else None
    return {
        "id": str(message.id),
        "conversationId": str(conversation.id),
        "chatId": wire_id(conversation.id) if conversation.is_group else None,
        "chatType": 1 if conversation.is_group else 0,
        "contentType": CONTENT_TYPES.get(message.kind, TEXT),
        "content": "" if removed_by else str(message.attachment_id) if message.attachment_id else message.body,
        "caption": "" if removed_by or not message.attachment_id else message.body,
        "file": _file(attachment) if attachment is not None else None,
        "fromUserId": wire_id(sender.id) if sender else None,
        "fromUserName": sender.display_name if sender else "Switchboard",
        "fromUserHeadImg": avatar_url("users", sender.id, sender.avatar_key, sender.display_name) if sender else "",
        "toUserId": wire_id(to_id),
        "toUserName": to_name,
        "createTime": milliseconds(message.created_at),
        "hasBeenSentId": message.client_id if sender else None,
        "seq": message.seq,
        "revision": message.revision,
        "edited": message.edited_at is not None,
        "removed": removed_by is not None,
        "removedBy": removed_by,
    }


def _file(attachment) -> dict:
    if attachment.status == "deleted":
        return {"id": str(attachment.id), "status": "deleted", "name": None, "contentType": None, "size": None,
                "url": None, "thumbnailUrl": None}
    return {"id": str(attachment.id), "status": attachment.status, "name": attachment.filename,
            "contentType": attachment.content_type, "size": attachment.size, "url": file_url(attachment.id),
            "thumbnailUrl": file_url(attachment.id, thumbnail=True) if attachment.thumbnail_key else None}


def _other_member(conversation: Conversation, user_id: int | None) -> User | None:
    """The member of a direct chat who is not `user_id`: by the chat's key when it names both (one
    primary-key read, the rule of actions.access), else the first other member (a notices
    conversation's, for a service message there)."""
    peer_id = direct_peer_id(conversation, user_id) if user_id is not None else None
    if peer_id is not None:
        return db.session.get(User, peer_id)
    statement = (db.select(User).join(Membership, Membership.user_id == User.id)
                 .where(Membership.conversation_id == conversation.id).order_by(Membership.id).limit(1))
    if user_id is not None:
        statement = statement.where(Membership.user_id != user_id)
    return db.session.execute(statement).scalar_one_or_none()
