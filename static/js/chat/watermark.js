// Which changes of one conversation the page has applied: the resync cursor, which cannot skip.

/**
 * The contiguous revision watermark of one conversation: every revision up to `watermark` is
 * applied. It is never "the highest revision seen": live events can skip a revision (missed
 * while reconnecting, or superseded by a later change of the same message), and a cursor past
 * a change the page never got would leave that change out of every resync.
 */
export class RevisionWatermark {
  constructor() {
    this.watermark = 0;
    this.appliedAbove = new Set(); // applied revisions above the watermark, waiting for those between
    this.newestKnown = 0; // the highest revision known to exist: applied, or announced by the server
  }

  /** The change with this revision is applied (live, from an ack, a history page or a changes answer). */
  noteApplied(revision) {
    if (!Number.isInteger(revision)) return;
    this.noteExists(revision);
    if (revision > this.watermark) this.appliedAbove.add(revision);
    this.rollForward();
  }

  /** The server has changes up to `revision` (a conversation's `last_revision`); maybe not applied yet. */
  noteExists(revision) {
    if (Number.isInteger(revision) && revision > this.newestKnown) this.newestKnown = revision;
  }

  /** Every change up to `revision` is applied: a changes answer says so, or a load proved it. */
  coveredUpTo(revision) {
    if (!Number.isInteger(revision)) return;
    this.noteExists(revision);
    if (revision > this.watermark) this.watermark = revision;
    this.rollForward();
  }

  /** A change known to exist is not applied: the changes since the watermark will bring it. */
  get hasGap() {
    return this.newestKnown > this.watermark;
  }

  rollForward() {
    for (const revision of this.appliedAbove) if (revision <= this.watermark) this.appliedAbove.delete(revision);
    while (this.appliedAbove.delete(this.watermark + 1)) this.watermark += 1;
  }
}
