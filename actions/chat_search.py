"""Search in the chat: the messages of the conversations the caller belongs to, and nothing else.

The search itself (terms, substring matching in any script, Chinese terms of one or two
characters included) is actions.search's, the back office's; this module only narrows it to
the caller's memberships, never shows removed messages nor membership notes ("Alice added
Bob": their stored sentence is English, the page words them itself), and adds the chat's filters: one
conversation, and a time range on the message's creation (`since` inclusive, `until`
exclusive). Results come newest first; the next page is asked with `before_id` the last id.
"""
from __future__ import annotations

from dataclasses import dataclass

from actions.access import access_conversation, list_readable_conversation_ids, readable_conversation_ids
from actions.rate_limits import limit_search
from actions.search import newest_matches
from actions.validation import check_id, check_int, check_limit, check_moment, check_search_query
from models import Message


@dataclass(frozen=True)
class ChatSearchPage:
    messages: list[Message]  # newest first
    terms: list[str]  # the terms matched, for highlighting
    has_more: bool  # then ask again with before_id=messages[-1].id


def search_my_messages(user, query: object, *, conversation_id: object = None, since: object = None,
                       until: object = None, before_id: object = None, limit: object = 20) -> ChatSearchPage:
    """Messages of the caller's conversations containing every term of `query`, newest first. Counted
    against the caller's SEARCHES_PER_MINUTE first, valid or not (actions.rate_limits.limit_search)."""
    limit_search(user.id)
    terms = check_search_query(query)
    limit = check_limit(limit, default=20, maximum=50)
    before_id = check_int(before_id, "before_id", minimum=1, required=False)
    since_moment = check_moment(since, "since")
    until_moment = check_moment(until, "until")
    conversation_id = check_id(conversation_id, "conversation_id", required=False)
    if conversation_id is not None:
        access_conversation(user, conversation_id)  # 403 for one the caller is not in, 404 if there is none
        scope = [conversation_id]
    elif list_readable_conversation_ids(user.id):
        scope = readable_conversation_ids(user)
    else:  # in no conversation: nothing to find, and no reason to read the index
        return ChatSearchPage(messages=[], terms=terms, has_more=False)
    conditions = [Message.hidden_at.is_(None), Message.deleted_at.is_(None), Message.system_event.is_(None)]
    if since_moment is not None:
        conditions.append(Message.created_at >= since_moment)
    if until_moment is not None:
        conditions.append(Message.created_at < until_moment)
    rows = newest_matches(terms, scope, conditions, limit + 1, before_id)
    return ChatSearchPage(messages=rows[:limit], terms=terms, has_more=len(rows) > limit)
