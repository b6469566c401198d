"""static/js/chat/store.js in Chromium, with the Thread it keeps for each conversation
(static/js/chat/thread.js): every message once, in seq order, and which revisions a conversation
has applied."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.integration]

STORE = """async (script) => {
  const { Thread } = await import("/static/js/chat/thread.js");
  const { ConversationStore } = await import("/static/js/chat/store.js");
  const message = (id, seq, revision, body = "m" + id) => ({ id, seq, revision, body, conversation_id: 1 });
  return (new Function("Thread", "ConversationStore", "message", script))(Thread, ConversationStore, message);
}"""


@pytest.fixture
def run(module_page):
    """Run a script body with Thread, ConversationStore and message(id, seq, revision) in scope."""
    return lambda script: module_page.evaluate(STORE, script)


def test_messages_land_once_in_seq_order_and_newer_revisions_win(run):
    result = run("""
        const thread = new Thread(1);
        const outcomes = [message(3, 3, 3), message(1, 1, 1), message(2, 2, 2), message(2, 2, 2),
                          message(2, 2, 5, "edited"), message(2, 2, 4, "stale")].map((m) => thread.apply(m));
        return { outcomes, seqs: thread.messages.map((m) => m.seq), second: thread.byId.get(2).body };
    """)
    assert result == {"outcomes": ["inserted", "inserted", "inserted", None, "replaced", None],
                      "seqs": [1, 2, 3], "second": "edited"}


def test_every_applied_message_counts_for_the_watermark_shown_superseded_or_below_the_history(run):
    result = run("""
        const thread = new Thread(1);
        thread.applyHistory([message(40, 40, 41), message(39, 39, 39)], true);
        thread.revisions.coveredUpTo(41);  // what the newest page proved
        const outcomes = [
            thread.apply(message(41, 41, 42)),          // new
            thread.apply(message(5, 5, 43)),            // an edit below the loaded history
            thread.apply(message(40, 40, 45, "new")),   // an edit ahead of revision 44
        ];
        const beforeLate = [thread.revisions.watermark, thread.revisions.hasGap];
        outcomes.push(thread.apply(message(40, 40, 44, "old")));  // 44, late: older than what is shown
        outcomes.push(thread.apply(message(41, 41, 42)));          // a duplicate
        return { outcomes, beforeLate, watermark: thread.revisions.watermark, gap: thread.revisions.hasGap,
                 body: thread.byId.get(40).body, seqs: thread.messages.map((m) => m.seq) };
    """)
    assert result == {"outcomes": ["inserted", None, "replaced", None, None], "beforeLate": [43, True],
                      "watermark": 45, "gap": False, "body": "new", "seqs": [39, 40, 41]}


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


def test_changes_below_the_loaded_history_wait_for_load_older(run):
    result = run("""
        const thread = new Thread(1);
        thread.apply(message(40, 40, 40));  // a live event before the first page
        thread.apply(message(5, 5, 41));    // an edit far below it: dropped with the first page
        thread.applyHistory([message(40, 40, 40), message(39, 39, 39)], true);
        const afterFirstPage = thread.messages.map((m) => m.seq);
        const belowFloor = thread.apply(message(7, 7, 42));
        thread.applyHistory([message(7, 7, 42), message(6, 6, 6)], false);
        const whenComplete = thread.apply(message(1, 1, 43));
        return { afterFirstPage, belowFloor, whenComplete, seqs: thread.messages.map((m) => m.seq),
                 floor: thread.floorSeq, hasMore: thread.hasMore };
    """)
    assert result == {"afterFirstPage": [39, 40], "belowFloor": None, "whenComplete": "inserted",
                      "seqs": [1, 6, 7, 39, 40], "floor": 6, "hasMore": False}


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
