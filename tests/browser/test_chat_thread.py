"""static/js/chat/thread.js in Chromium: one conversation's messages, every one once and in seq
order, the revisions it has applied, and the tail and a detached window of them (a jump far back):
where each change lands, how the window joins the tail, and the live changes held while a history
request is out."""
from __future__ import annotations

import pytest

from tests.browser.helpers import module_script_runner

pytestmark = [pytest.mark.browser, pytest.mark.integration]

THREAD = """
  const { Thread } = await import("/static/js/chat/thread.js");
  const message = (seq, revision = seq, body = "m" + seq) => ({ id: seq, seq, revision, body, conversation_id: 1 });
  const range = (low, high) => Array.from({ length: high - low + 1 }, (_, index) => message(low + index));
  const seqs = (thread) => thread.messages.map((m) => m.seq);
"""


@pytest.fixture
def run(module_page):
    """Run a script body with Thread, message(seq, revision, body), range(low, high) and seqs(thread) in scope."""
    return module_script_runner(module_page, THREAD)


def test_messages_land_once_in_seq_order_and_newer_revisions_win(run):
    result = run("""
        const thread = new Thread(1);
        const outcomes = [message(3, 3), message(1, 1), message(2, 2), message(2, 2),
                          message(2, 5, "edited"), message(2, 4, "stale")].map((m) => thread.apply(m));
        return { outcomes, seqs: seqs(thread), second: thread.byId.get(2).body };
    """)
    assert result == {"outcomes": ["inserted", "inserted", "inserted", None, "replaced", None],
                      "seqs": [1, 2, 3], "second": "edited"}


def test_every_applied_message_counts_for_the_watermark_shown_superseded_or_below_the_history(run):
    result = run("""
        const thread = new Thread(1);
        thread.applyHistory([message(40, 41), message(39, 39)], true);
        thread.revisions.coveredUpTo(41);  // what the newest page proved
        const outcomes = [
            thread.apply(message(41, 42)),          // new
            thread.apply(message(5, 43)),           // an edit below the loaded history
            thread.apply(message(40, 45, "new")),   // an edit ahead of revision 44
        ];
        const beforeLate = [thread.revisions.watermark, thread.revisions.hasGap];
        outcomes.push(thread.apply(message(40, 44, "old")));  // 44, late: older than what is shown
        outcomes.push(thread.apply(message(41, 42)));          // a duplicate
        return { outcomes, beforeLate, watermark: thread.revisions.watermark, gap: thread.revisions.hasGap,
                 body: thread.byId.get(40).body, seqs: seqs(thread) };
    """)
    assert result == {"outcomes": ["inserted", None, "replaced", None, None], "beforeLate": [43, True],
                      "watermark": 45, "gap": False, "body": "new", "seqs": [39, 40, 41]}


def test_changes_below_the_loaded_history_wait_for_load_older(run):
    result = run("""
        const thread = new Thread(1);
        thread.apply(message(40, 40));  // a live event before the first page
        thread.apply(message(5, 41));   // an edit far below it: dropped with the first page
        thread.applyHistory([message(40, 40), message(39, 39)], true);
        const afterFirstPage = seqs(thread);
        const belowFloor = thread.apply(message(7, 42));
        thread.applyHistory([message(7, 42), message(6, 6)], false);
        const whenComplete = thread.apply(message(1, 43));
        return { afterFirstPage, belowFloor, whenComplete, seqs: seqs(thread),
                 floor: thread.floorSeq, hasMore: thread.hasMore };
    """)
    assert result == {"afterFirstPage": [39, 40], "belowFloor": None, "whenComplete": "inserted",
                      "seqs": [1, 6, 7, 39, 40], "floor": 6, "hasMore": False}


def test_changes_land_in_the_window_the_tail_or_nowhere(run):
    result = run("""
        const thread = new Thread(1);
        thread.applyHistory(range(91, 100).reverse(), true);  // the newest page: 91-100
        const opened = thread.openWindow(range(10, 20), true, true);
        const outcomes = [
            thread.apply(message(101)),                  // live: with the newest, not shown now
            thread.apply(message(15, 200, "edited")),    // in the window: shown
            thread.apply(message(50, 201, "between")),   // in the hole: left for paging
            thread.apply(message(95, 202, "edited")),    // in the tail
        ];
        const shown = seqs(thread);
        const body = thread.byId.get(15).body;
        const older = thread.applyWindowOlder(range(5, 9).reverse(), false);
        return { opened, outcomes, shown, body, detached: thread.detached, tail: thread.tail.messages.map((m) => m.seq),
                 afterOlder: seqs(thread), olderCount: older.length, hasOlder: thread.hasOlder };
    """)
    assert result["opened"] == "detached" and result["detached"]
    assert result["outcomes"] == ["inserted", "replaced", None, "replaced"]
    assert result["shown"] == list(range(10, 21)) and result["body"] == "edited"
    assert result["tail"] == list(range(91, 102))
    assert result["afterOlder"] == list(range(5, 21)) and result["olderCount"] == 5 and not result["hasOlder"]


def test_the_window_joins_the_tail_when_they_meet(run):
    result = run("""
        const thread = new Thread(1);
        thread.applyHistory(range(91, 100).reverse(), true);
        thread.openWindow(range(40, 60), true, true);
        thread.apply(message(101));  // live while detached
        const first = thread.applyWindowNewer(range(61, 80), true);
        const stillDetached = thread.detached;
        const joined = thread.applyWindowNewer(range(81, 90), true);  // 90 + 1 is the tail's floor
        return { stillDetached, first: first.length, joined: joined.map((m) => m.seq), detached: thread.detached,
                 shown: seqs(thread), floor: thread.floorSeq, hasMore: thread.hasMore };
    """)
    assert result["stillDetached"] and result["first"] == 20
    assert not result["detached"]
    assert result["joined"] == list(range(81, 102))  # the page, then the tail now shown under it
    assert result["shown"] == list(range(40, 102))
    assert result["floor"] == 40 and result["hasMore"]


def test_a_window_that_reaches_the_tail_is_part_of_it_at_once(run):
    result = run("""
        const thread = new Thread(1);
        thread.applyHistory(range(51, 100).reverse(), true);
        const overlapping = thread.openWindow(range(30, 60), true, true);
        const a = [seqs(thread)[0], seqs(thread).length, thread.detached];
        const other = new Thread(1);
        other.applyHistory(range(51, 100).reverse(), true);
        const newest = other.openWindow(range(1, 20), false, false);  // no more after it: the end (a short chat)
        return { overlapping, a, newest, shown: seqs(other).length, hasMore: other.hasMore };
    """)
    assert result["overlapping"] == "joined" and result["a"] == [30, 71, False]
    assert result["newest"] == "joined" and result["shown"] == 70 and not result["hasMore"]


def test_a_live_change_during_a_request_wins_over_an_older_copy_in_its_answer(run):
    result = run("""
        const thread = new Thread(1);
        thread.applyHistory(range(91, 100).reverse(), true);
        thread.openWindow(range(40, 60), true, true);
        thread.hold();                                              // "older" asked for 20-39
        const meanwhile = thread.apply(message(30, 300, "edited"));  // the edit's event comes first
        thread.applyWindowOlder([message(30, 30, "stale"), ...range(20, 29)].reverse(), true);
        const released = thread.release();
        return { meanwhile, released: released.map((m) => m.body), body: thread.byId.get(30).body, held: thread.held };
    """)
    assert result["meanwhile"] is None  # not loaded yet when it came
    assert result["released"] == ["edited"] and result["body"] == "edited"
    assert result["held"] is None
