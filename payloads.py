"""The JSON wire format shared by the REST API and the Socket.IO adapter: how users,
conversations and messages look, in one place. The domain (actions/) never imports it."""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from actions.errors import ActionError
from models import Attachment, Conversation, Membership, Message, Report, User
from models.time import isoformat


def error_payload(error: ActionError) -> dict:
    """The one error envelope: the body of every refused HTTP request and every failed socket ack."""
    return {"ok": False, "error": error.as_dict()}


def user_payload(user: User) -> dict:
    """A person as every other user sees them (and as they see themselves): what a chat needs to
    name, draw and find them. Not their account role (who the operators are) nor when they were last seen."""
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "avatar_url": avatar_url("users", user.id, user.avatar_key, user.display_name),
        "has_avatar": user.avatar_key is not None,
    }


def profile_payload(user: User, online: bool | None = None, about_hidden: bool = False) -> dict:
    """The profile card: the user as everyone sees them, with their status line and time zone;
    `online` None when the viewer may not see it (their privacy settings, a block); `about_hidden`
    (they blocked the viewer): no status line and no time zone."""
    return {**user_payload(user), "status_text": "" if about_hidden else user.status_text or "",
            "time_zone": None if about_hidden else user.time_zone, "online": online}


@lru_cache(maxsize=4096)  # a pure function of its arguments, asked for every message of a page
def avatar_url(area: str, owner_id: int, avatar_key: str | None, name: str | None, size: str | None = None) -> str:
    """The app's URL of a user's (`users`) or group's (`groups`) picture: it checks who asks and
    redirects to a short-lived storage URL, or answers the initials picture while there is none.
    `v` changes with the picture (and with the name the initials come from), so it may be cached."""
    version = avatar_key.rsplit("/", 1)[1] if avatar_key else "i" + hashlib.sha256(
        (name or "").encode()).hexdigest()[:10]
    url = f"/api/{area}/{owner_id}/avatar?v={version}"
    return url + f"&size={size}" if size else url


def message_payload(message: Message) -> dict:
    """A removed message keeps its place (id, seq) but loses its content."""
    removed_by = None
    if message.hidden_at is not None:
        removed_by = "moderator"
    elif message.deleted_at is not None:
        removed_by = "author"
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "revision": message.revision,
        "sender": user_payload(message.sender) if message.sender is not None else None,
        "kind": message.kind,
        "body": "" if removed_by else message.body,
        "attachment_id": None if removed_by else message.attachment_id,
        "attachment": attachment_payload(message.attachment) if message.attachment and not removed_by else None,
        "client_id": message.client_id,
        "created_at": isoformat(message.created_at),
        "edited_at": isoformat(message.edited_at),
        "removed": removed_by is not None,
        "removed_by": removed_by,
        "reply_to": quote_payload(message.reply_to) if message.reply_to_id and not removed_by else None,
        "mentions": [] if removed_by else [mention.user_id for mention in message.mentions],
        "mentions_all": message.mentions_all and not removed_by,
        "reactions": [] if removed_by else reactions_payload(message.reactions),
        # A group's membership note (actions.group_notes): what happened, for the reader's own words.
        "system": json.loads(message.system_event) if message.system_event and not removed_by else None,
    }


QUOTE_LENGTH = 120  # characters of the original a reply quotes


def quote_payload(original: Message | None) -> dict | None:
    """What a reply shows of the message it answers: its author and the start of its text (or the
    file's name); a removed original keeps only its id and seq (the page says "message deleted")."""
    if original is None:
        return None
    removed = original.is_removed
    excerpt = "" if removed else original.body[:QUOTE_LENGTH]
    if not removed and not excerpt and original.attachment is not None and original.attachment.status != "deleted":
        excerpt = original.attachment.filename or ""
    return {"id": original.id, "seq": original.seq, "kind": original.kind, "removed": removed,
            "sender": user_payload(original.sender) if original.sender is not None and not removed else None,
            "excerpt": excerpt}


def reactions_payload(reactions) -> list[dict]:
    """Reactions grouped by emoji, in the order each was first put: `{emoji, count, user_ids}`."""
    grouped: dict[str, list[int]] = {}
    for reaction in reactions:
        grouped.setdefault(reaction.emoji, []).append(reaction.user_id)
    return [{"emoji": emoji, "count": len(user_ids), "user_ids": user_ids} for emoji, user_ids in grouped.items()]


def file_url(attachment_id: int, *, thumbnail: bool = False, download: bool = False) -> str:
    """The app's URL of a file (blueprints/files/routes.py): it checks who asks and redirects to
    a short-lived storage URL. The one place these URLs are written; clients use the payload's."""
    if thumbnail:
        return f"/files/{attachment_id}/thumbnail"
    return f"/files/{attachment_id}?download=1" if download else f"/files/{attachment_id}"


def attachment_payload(attachment: Attachment) -> dict:
    """A file's details and its app URLs (which redirect to short-lived storage URLs).
    A deleted file keeps only its id and status: the page shows "file removed"."""
    if attachment.status == "deleted":
        return {"id": attachment.id, "status": "deleted", "filename": None, "content_type": None, "size": None,
                "has_thumbnail": False, "url": None, "download_url": None, "thumbnail_url": None}
    has_thumbnail = attachment.thumbnail_key is not None
    return {
        "id": attachment.id,
        "status": attachment.status,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "has_thumbnail": has_thumbnail,
        "url": file_url(attachment.id),
        "download_url": file_url(attachment.id, download=True),
        "thumbnail_url": file_url(attachment.id, thumbnail=True) if has_thumbnail else None,
    }


def conversation_payload(conversation: Conversation, membership: Membership | None = None,
                         *, title: str | None = None, last_message: Message | None = None,
                         unread_count: int | None = None, member_count: int | None = None) -> dict:
    payload = {
        "id": conversation.id,
        "kind": conversation.kind,
        "name": conversation.name,
        "title": title or conversation.name,
        "description": conversation.description,
        "visibility": conversation.visibility,
        "archived": conversation.archived_at is not None,
        "created_at": isoformat(conversation.created_at),
        "last_seq": conversation.last_seq,
        "last_revision": conversation.last_revision,
        "last_message_at": isoformat(conversation.last_message_at),
        # A group's picture; a direct chat's is its other member's (in their user payload).
        "avatar_url": avatar_url("groups", conversation.id, conversation.avatar_key, conversation.name)
        if conversation.is_group else None,
    }
    if membership is not None:
        payload["membership"] = membership_payload(membership)
    if last_message is not None or unread_count is not None:
        payload["last_message"] = message_payload(last_message) if last_message else None
        payload["unread_count"] = unread_count or 0
    if member_count is not None:
        payload["member_count"] = member_count
    return payload


def membership_payload(membership: Membership) -> dict:
    return {
        "user_id": membership.user_id,
        "role": membership.role,
        "joined_at": isoformat(membership.joined_at),
        "last_read_seq": membership.last_read_seq,
        "last_delivered_seq": membership.last_delivered_seq,
        "muted": membership.muted,
    }


def member_payload(membership: Membership) -> dict:
    """A member; `active` false: the account is deactivated, suspended or not yet confirmed (User.findable): a
    member still, nobody to mention, and a group's ownership passes to it only when nobody active is left
    (the chat page's leave warning follows that)."""
    return {**user_payload(membership.user), "role": membership.role, "joined_at": isoformat(membership.joined_at),
            "active": membership.user.findable}


def summary_payload(summary) -> dict:
    """A conversation-list entry (an actions.conversations.ConversationSummary)."""
    payload = conversation_payload(summary.conversation, summary.membership, title=summary.title,
                                   last_message=summary.last_message, unread_count=summary.unread_count)
    payload["unread_mentions"] = summary.unread_mentions
    if summary.peer is not None:
        payload["peer"] = user_payload(summary.peer)
    return payload


def account_payload(user: User) -> dict:
    """An account as operators see it: its state, never its password hash."""
    return {**user_payload(user), "email": user.email, "phone": user.phone, "role": user.role,
            "active": user.active, "must_change_password": user.must_change_password,
            "created_at": isoformat(user.created_at), "last_seen_at": isoformat(user.last_seen_at),
            "deactivated_at": isoformat(user.deactivated_at), "suspended_until": isoformat(user.suspended_until),
            "suspension_reason": user.suspension_reason}


def report_payload(report: Report) -> dict:
    """A report as its reporter sees it (who settled it stays with the operators)."""
    return {
        "id": report.id,
        "message_id": report.message_id,
        "reason": report.reason,
        "text": report.text,
        "status": report.status,
        "created_at": isoformat(report.created_at),
    }


def settled_report_payload(report: Report) -> dict:
    """A report as the operator who settled it sees it: the reporter's view and how it was settled."""
    return {**report_payload(report), "resolution": report.resolution}


def login_session_payload(login_session, current_session_id: str | None = None) -> dict:
    """One of the caller's login sessions (a browser or app where they are logged in)."""
    return {
        "id": login_session.id,
        "device": login_session.device,
        "user_agent": login_session.user_agent,
        "ip_address": login_session.ip_address,
        "method": login_session.method,
        "created_at": isoformat(login_session.created_at),
        "last_seen_at": isoformat(login_session.last_seen_at),
        "current": login_session.id == current_session_id,
    }


def api_token_payload(token) -> dict:
    """One of the caller's API tokens: never the token itself (only shown when it is created)."""
    return {
        "id": token.id,
        "name": token.name,
        "created_at": isoformat(token.created_at),
        "expires_at": isoformat(token.expires_at),
        "last_used_at": isoformat(token.last_used_at),
    }


def issued_token_payload(issued) -> dict:
    """A bearer token just issued (actions.accounts.IssuedToken): the token itself, shown this once,
    when it expires, and its user."""
    return {"token": issued.token, "expires_at": isoformat(issued.record.expires_at),
            "user": user_payload(issued.record.user)}


def search_page_payload(page) -> dict:
    """A page of the chat's search (actions.chat_search.ChatSearchPage): `{messages, terms, has_more}`."""
    return {"messages": [message_payload(message) for message in page.messages], "terms": page.terms,
            "has_more": page.has_more}


def history_window_payload(window) -> dict:
    """The messages around one (actions.messages.message_history_around), oldest first."""
    return {"conversation_id": window.target.conversation_id,
            "messages": [message_payload(message) for message in window.messages],
            "has_more_before": window.has_more_before, "has_more_after": window.has_more_after}


def push_subscription_payload(subscription) -> dict:
    """One of the caller's Web Push subscriptions (a browser that is pushed their messages)."""
    return {"id": subscription.id, "endpoint": subscription.endpoint, "include_text": subscription.include_text,
            "user_agent": subscription.user_agent, "created_at": isoformat(subscription.created_at),
            "last_sent_at": isoformat(subscription.last_sent_at)}


def receipt_payload(receipt) -> dict:
    """A member's receipt (actions.receipts.ReadReceipt): `last_read_seq` null when hidden from the caller."""
    return {"user_id": receipt.user.id, "user": user_payload(receipt.user),
            "last_delivered_seq": receipt.last_delivered_seq, "last_read_seq": receipt.last_read_seq}


def presence_payload(view) -> dict:
    """Online and last seen as the viewer may see them (an actions.presence.PresenceView):
    `visible` false means hidden by the person's privacy settings or a block, and both are null."""
    return {"visible": view.visible, "online": view.online, "last_seen_at": isoformat(view.last_seen_at)}


def presence_entry_payload(user_id: int, view) -> dict:
    """One person's presence in a list: `{user_id, visible, online, last_seen_at}`."""
    return {"user_id": user_id, **presence_payload(view)}


def presence_list_payload(views) -> list[dict]:
    """Several people's presence, `{user_id: PresenceView}` in order, as presence_entry_payload each."""
    return [presence_entry_payload(user_id, view) for user_id, view in views.items()]


def conversation_presence_payload(found) -> dict:
    """A conversation's online count and its members' presence (actions.presence.ConversationPresence)."""
    return {"conversation_id": found.conversation_id, "online_count": found.online_count,
            "presence": presence_list_payload(found.views)}


def contact_payload(contact, view) -> dict:
    """One of the caller's contacts (a models.Contact) with their presence."""
    return {**user_payload(contact.contact), "since": isoformat(contact.created_at),
            "presence": presence_payload(view)}


def contacts_payload(contacts, views) -> list[dict]:
    """The caller's contacts, each with its presence view (actions.presence.presence_views)."""
    return [contact_payload(contact, views[contact.contact_id]) for contact in contacts]


def contact_request_payload(request) -> dict:
    return {"id": request.id, "requester": user_payload(request.requester),
            "recipient": user_payload(request.recipient), "created_at": isoformat(request.created_at)}


def pending_requests_payload(pending) -> dict:
    """`{incoming, outgoing}`: an actions.contacts.PendingRequests."""
    return {"incoming": [contact_request_payload(request) for request in pending.incoming],
            "outgoing": [contact_request_payload(request) for request in pending.outgoing]}


def block_payload(block) -> dict:
    """Someone the caller blocked."""
    return {"user": user_payload(block.blocked), "created_at": isoformat(block.created_at)}


def privacy_payload(settings) -> dict:
    return {"direct_chats": settings.direct_chats, "last_seen": settings.last_seen,
            "read_receipts": settings.read_receipts}
