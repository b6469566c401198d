"""static/js/chat/store.js in Chromium: the conversations the page knows, their unread counts
and last messages, and the Thread it keeps for each (static/js/chat/thread.js, tested in
test_chat_thread.py)."""
from __future__ import annotations

import pytest

from tests.browser.helpers import module_script_runner

pytestmark = [pytest.mark.browser, pytest.mark.integration]

STORE = """
  const { ConversationStore } = await import("/static/js/chat/store.js");
  const message = (id, seq, revision, body = "m" + id) => ({ id, seq, revision, body, conversation_id: 1 });
"""


@pytest.fixture
def run(module_page):
    """Run a script body with ConversationStore and message(id, seq, revision) in scope."""
    return module_script_runner(module_page, STORE)


def test_a_listed_last_revision_beyond_the_watermark_is_a_gap(run):
    result = run("""
        const store = new ConversationStore({ id: 1 });
        store.upsert({ id: 1, kind: "group", name: "g", last_revision: 3 });
        const thread = store.thread(1);
        thread.revisions.coveredUpTo(3);
        const before = thread.revisions.hasGap;
        store.upsert({ id: 1, kind: "group", name: "g", last_revision: 5 });  // a list fetched later
        return { before, after: thread.revisions.hasGap, watermark: thread.revisions.watermark };
    """)
    assert result == {"before": False, "after": True, "watermark": 3}


def test_a_list_asked_for_before_an_event_does_not_undo_it(run):
    result = run("""
        const store = new ConversationStore({ id: 1 });
        store.upsert({ id: 1, kind: "group", name: "kept", last_seq: 4 });
        store.upsert({ id: 2, kind: "group", name: "left" });
        const askedAt = store.mark();
        store.upsert({ id: 3, kind: "group", name: "joined meanwhile" });
        store.remove(2);
        const gone = store.replaceAll([{ id: 1, kind: "group", name: "kept", last_seq: 3 },
                                       { id: 2, kind: "group", name: "left" }], askedAt);
        return { gone, ids: [...store.conversations.keys()].sort(), lastSeq: store.get(1).last_seq };
    """)
    assert result == {"gone": [], "ids": [1, 3], "lastSeq": 4}


def test_a_list_made_before_a_live_message_keeps_the_message_counted(run):
    # The list asked for on connect, answered after a message that arrived live meanwhile (a CI run
    # of tests/browser/test_chat_page.py lost the second tab's badge this way).
    result = run("""
        const store = new ConversationStore({ id: 1 });
        const listed = { id: 1, kind: "group", name: "g", last_seq: 2, unread_count: 0, unread_mentions: 0,
                         membership: { last_read_seq: 2 } };
        store.upsert(listed);
        const askedAt = store.mark();
        store.noteMessage({ ...message(3, 3, 3), sender: { id: 2 }, mentions: [1] }, { counted: true });
        store.replaceAll([listed], askedAt);
        const conversation = store.get(1);
        return { unread: conversation.unread_count, mentions: conversation.unread_mentions,
                 lastSeq: conversation.last_seq, last: conversation.last_message.id };
    """)
    assert result == {"unread": 1, "mentions": 1, "lastSeq": 3, "last": 3}


def test_a_list_made_before_a_read_elsewhere_does_not_bring_the_badge_back(run):
    result = run("""
        const store = new ConversationStore({ id: 1 });
        const listed = { id: 1, kind: "group", name: "g", last_seq: 3, unread_count: 1,
                         membership: { last_read_seq: 2, role: "member" } };
        store.upsert(listed);
        const askedAt = store.mark();
        store.noteRead(1, 3);  // read in another tab: conversation:read
        store.replaceAll([listed], askedAt);
        const conversation = store.get(1);
        return { unread: conversation.unread_count, read: conversation.membership.last_read_seq,
                 role: conversation.membership.role };
    """)
    assert result == {"unread": 0, "read": 3, "role": "member"}


def test_a_newer_list_still_sets_the_unread_count(run):
    result = run("""
        const store = new ConversationStore({ id: 1 });
        const listed = (lastSeq, unread, read) => ({ id: 1, kind: "group", name: "g", last_seq: lastSeq,
                                                     unread_count: unread, membership: { last_read_seq: read } });
        store.upsert(listed(3, 1, 2));
        store.upsert(listed(3, 0, 3));
        const readHere = store.get(1).unread_count;
        store.upsert(listed(6, 2, 3));  // two of the three after the read position: one was removed
        return { readHere, newer: store.get(1).unread_count };
    """)
    assert result == {"readHere": 0, "newer": 2}


def test_unread_counts_follow_messages_and_reads(run):
    result = run("""
        const store = new ConversationStore({ id: 1 });
        store.upsert({ id: 1, kind: "group", name: "g", last_seq: 2, unread_count: 0,
                       membership: { last_read_seq: 2 } });
        const other = { id: 2 }, me = { id: 1 };
        store.noteMessage({ ...message(3, 3, 3), sender: other }, { counted: true });
        store.noteMessage({ ...message(3, 3, 3), sender: other }, { counted: true });  // again: counted once
        store.noteMessage({ ...message(4, 4, 4), sender: other, removed: true }, { counted: true });
        store.noteMessage({ ...message(5, 5, 5), sender: other }, { counted: false });
        const unread = store.get(1).unread_count;
        store.noteMessage({ ...message(6, 6, 6), sender: me }, { counted: true });
        const readAfterOwn = store.get(1).membership.last_read_seq;
        store.noteRead(1, 6);
        return { unread, readAfterOwn, cleared: store.get(1).unread_count };
    """)
    assert result == {"unread": 1, "readAfterOwn": 6, "cleared": 0}


def test_an_unread_message_removed_or_edited_changes_the_counts_as_the_servers(run):
    # The server counts others' unread messages that are not removed, and of those the ones that
    # mention you: a message deleted by its author or hidden by an operator, or edited to mention you
    # or no longer, changes its conversation's badges live as after a reload. Before, only a reload did.
    result = run("""
        const store = new ConversationStore({ id: 1 });
        store.upsert({ id: 1, kind: "group", name: "g", last_seq: 2, unread_count: 0, unread_mentions: 0,
                       membership: { last_read_seq: 2 } });
        const other = { id: 2 };
        const counts = () => [store.get(1).unread_count, store.get(1).unread_mentions];
        const seen = [];
        store.noteMessage({ ...message(3, 3, 3), sender: other, mentions: [1] }, { counted: true });
        store.noteMessage({ ...message(4, 4, 4), sender: other, mentions: [] }, { counted: true });
        store.thread(1).apply({ ...message(3, 3, 3), sender: other, mentions: [1] });  // loaded: the page holds it
        seen.push(counts());
        const edited = { ...message(3, 3, 5, "no mention"), sender: other, mentions: [], edited_at: "now" };
        store.noteMessage(edited, { counted: true });
        store.thread(1).apply(edited);
        seen.push(counts());
        const mentioning = { ...message(3, 3, 6, "@me"), sender: other, mentions: [1], edited_at: "now" };
        store.noteMessage(mentioning, { counted: true });
        store.thread(1).apply(mentioning);
        seen.push(counts());
        store.noteMessage({ ...message(3, 3, 5), sender: other, mentions: [] }, { counted: true });  // a late copy
        seen.push(counts());
        const removed = { ...message(3, 3, 7, ""), sender: other, mentions: [], removed: true };
        const answer = store.noteMessage(removed, { counted: true });
        store.thread(1).apply(removed);
        seen.push(counts());
        // The last message (the preview's copy), deleted: counted out too.
        store.noteMessage({ ...message(4, 4, 8, ""), sender: other, mentions: [], removed: true }, { counted: true });
        seen.push(counts());
        return { seen, answer, preview: store.get(1).last_message.removed };
    """)
    assert result == {"seen": [[2, 1], [2, 0], [2, 1], [2, 1], [1, 0], [0, 0]], "answer": True, "preview": True}


def test_a_change_the_listed_counts_already_hold_is_not_counted_again(run):
    # Offline, someone deletes an unread message the page holds (loaded). On reconnect the list comes
    # first, counted by the server without it (last_revision 7, the deletion), then the sync replays the
    # deletion: the badge stays at the server's count. Before, it went down a second time (2 -> 1 -> 0).
    result = run("""
        const store = new ConversationStore({ id: 1 });
        const other = { id: 2 };
        const listed = (count, mentions, revision) => ({ id: 1, kind: "group", name: "g", last_seq: 4,
          last_revision: revision, unread_count: count, unread_mentions: mentions, membership: { last_read_seq: 2 },
          last_message: { ...message(4, 4, 4), sender: other, mentions: [] } });
        store.upsert(listed(2, 1, 4));
        const held = { ...message(3, 3, 3), sender: other, mentions: [1] };
        store.thread(1).apply(held);
        store.thread(1).apply({ ...message(4, 4, 4), sender: other, mentions: [] });
        const askedAt = store.mark();
        store.replaceAll([listed(1, 0, 7)], askedAt);
        const replayed = { ...message(3, 3, 7, ""), sender: other, mentions: [], removed: true };
        store.noteMessage(replayed, { counted: true });
        const afterSync = [store.get(1).unread_count, store.get(1).unread_mentions];
        // A change after the list is still counted.
        store.noteMessage({ ...message(4, 4, 8, ""), sender: other, mentions: [], removed: true }, { counted: true });
        return { afterSync, afterLive: [store.get(1).unread_count, store.get(1).unread_mentions] };
    """)
    assert result == {"afterSync": [1, 0], "afterLive": [0, 0]}


def test_a_change_of_an_unread_message_the_page_does_not_hold_asks_for_the_counts(run):
    # A message neither loaded nor the last one: the page cannot tell what it counted, and asks the
    # server (the caller refetches the list) when the change may have changed a count.
    result = run("""
        const store = new ConversationStore({ id: 1 });
        const other = { id: 2 }, me = { id: 1 };
        store.upsert({ id: 1, kind: "group", name: "g", last_seq: 5, unread_count: 3, unread_mentions: 1,
                       membership: { last_read_seq: 2 }, last_message: { ...message(5, 5, 5), sender: other } });
        return {
          removed: store.noteMessage({ ...message(3, 3, 9), sender: other, removed: true }, { counted: true }),
          edited: store.noteMessage({ ...message(4, 4, 10), sender: other, edited_at: "now" }, { counted: true }),
          reacted: store.noteMessage({ ...message(4, 4, 11), sender: other }, { counted: true }),
          read: store.noteMessage({ ...message(1, 1, 12), sender: other, removed: true }, { counted: true }),
          own: store.noteMessage({ ...message(2, 2, 13), sender: me, removed: true }, { counted: true }),
          counts: [store.get(1).unread_count, store.get(1).unread_mentions],
        };
    """)
    assert result == {"removed": "recount", "edited": "recount", "reacted": True, "read": True, "own": True,
                      "counts": [3, 1]}


def test_a_read_position_only_moves_forward(run):
    # This tab reads up to 4, then to 6 (noted at once); the server's echo of the first read, to every tab
    # of the user, arrives after that.
    result = run("""
        const store = new ConversationStore({ id: 1 });
        store.upsert({ id: 1, kind: "group", name: "g", last_seq: 6, unread_count: 4,
                       membership: { last_read_seq: 2 } });
        store.noteRead(1, 4);
        store.noteRead(1, 6);
        store.noteRead(1, 4);
        const conversation = store.get(1);
        return { read: conversation.membership.last_read_seq, unread: conversation.unread_count };
    """)
    assert result == {"read": 6, "unread": 0}


def test_a_message_already_counted_in_its_conversations_last_seq_is_still_new(run):
    result = run("""
        const store = new ConversationStore({ id: 1 });
        // conversation:added of a notices chat, rendered when its first notice was stored
        store.upsert({ id: 7, kind: "direct", name: "Switchboard", last_seq: 1, last_revision: 1,
                       membership: { last_read_seq: 0 } });
        store.noteMessage({ ...message(1, 1, 1), conversation_id: 7, sender: null }, { counted: true });
        store.noteMessage({ ...message(1, 1, 1), conversation_id: 7, sender: null }, { counted: true });
        const conversation = store.get(7);
        return { unread: conversation.unread_count, last: conversation.last_message.id,
                 lastSeq: conversation.last_seq };
    """)
    assert result == {"unread": 1, "last": 1, "lastSeq": 1}
