"""static/js/chat/watermark.js in Chromium: the per-conversation resync cursor is the highest
revision up to which every revision is applied, never the highest revision seen."""
from __future__ import annotations

import pytest

from tests.browser.helpers import module_script_runner

pytestmark = [pytest.mark.browser, pytest.mark.integration]

WATERMARK = """
  const { RevisionWatermark } = await import("/static/js/chat/watermark.js");
"""


@pytest.fixture
def run(module_page):
    """Run a script body with RevisionWatermark in scope."""
    return module_script_runner(module_page, WATERMARK)


def test_the_next_revision_advances_it_and_a_later_one_waits_for_those_between(run):
    result = run("""
        const revisions = new RevisionWatermark();
        revisions.coveredUpTo(1);
        revisions.noteApplied(3);  // out of order: 3 before 2
        const afterThree = [revisions.watermark, revisions.hasGap];
        revisions.noteApplied(2);
        const afterTwo = [revisions.watermark, revisions.hasGap];
        revisions.noteApplied(4);
        return { afterThree, afterTwo, afterFour: [revisions.watermark, revisions.hasGap] };
    """)
    assert result == {"afterThree": [1, True], "afterTwo": [3, False], "afterFour": [4, False]}


def test_a_changes_answer_covers_up_to_its_revision_then_rolls_over_what_was_applied_above(run):
    result = run("""
        const revisions = new RevisionWatermark();
        revisions.coveredUpTo(10);
        for (const revision of [12, 13, 15]) revisions.noteApplied(revision);
        const stuck = revisions.watermark;
        revisions.coveredUpTo(11);  // a page of changes up to 11: 12 and 13 follow on
        const partly = [revisions.watermark, revisions.hasGap];
        revisions.coveredUpTo(14);
        return { stuck, partly, done: [revisions.watermark, revisions.hasGap], waiting: revisions.appliedAbove.size };
    """)
    assert result == {"stuck": 10, "partly": [13, True], "done": [15, False], "waiting": 0}


def test_duplicates_and_old_revisions_move_nothing(run):
    result = run("""
        const revisions = new RevisionWatermark();
        revisions.coveredUpTo(1);
        for (const revision of [3, 3, 1, 0, undefined]) revisions.noteApplied(revision);
        const duplicated = [revisions.watermark, revisions.hasGap];
        revisions.coveredUpTo(0);  // an empty changes answer for an older cursor
        return { duplicated, after: [revisions.watermark, revisions.hasGap] };
    """)
    assert result == {"duplicated": [1, True], "after": [1, True]}


def test_a_revision_the_server_announced_is_a_gap_until_covered(run):
    result = run("""
        const revisions = new RevisionWatermark();
        revisions.coveredUpTo(4);
        revisions.noteExists(3);
        const older = revisions.hasGap;
        revisions.noteExists(6);  // e.g. the conversation list's last_revision
        const announced = [revisions.watermark, revisions.hasGap];
        revisions.noteApplied(5);
        revisions.noteApplied(6);
        return { older, announced, filled: [revisions.watermark, revisions.hasGap] };
    """)
    assert result == {"older": False, "announced": [4, True], "filled": [6, False]}
