// The loaded messages of one conversation, without DOM: the newest ones (the tail, where live
// messages land) and, after a jump far back, a detached window around the message jumped to.

import { RevisionWatermark } from "./watermark.js";

/** A run of messages without holes, in seq order, each once. */
class Segment {
  constructor() {
    this.messages = []; // sorted by seq
    this.byId = new Map();
  }

  get newestSeq() {
    return this.messages.length ? this.messages[this.messages.length - 1].seq : 0;
  }

  /** Insert or replace one message: "inserted", "replaced" or null (an older or the same revision). */
  put(message) {
    const existing = this.byId.get(message.id);
    if (existing) {
      if ((existing.revision || 0) >= (message.revision || 0)) return null;
      this.messages[this.indexOfSeq(existing.seq)] = message;
      this.byId.set(message.id, message);
      return "replaced";
    }
    this.messages.splice(this.insertionPoint(message.seq), 0, message);
    this.byId.set(message.id, message);
    return "inserted";
  }

  /** Keep only the messages from `seq` up. */
  dropBelow(seq) {
    for (const message of this.messages) if (message.seq < seq) this.byId.delete(message.id);
    this.messages = this.messages.filter((message) => message.seq >= seq);
  }

  indexOfSeq(seq) {
    const index = this.insertionPoint(seq);
    return this.messages[index]?.seq === seq ? index : -1;
  }

  /** First index whose seq is >= `seq` (binary search). */
  insertionPoint(seq) {
    let low = 0;
    let high = this.messages.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.messages[middle].seq < seq) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/**
 * The messages of one conversation that the page has loaded: the tail (the newest page down to
 * `floorSeq`, where live messages land) and, after a jump far back, a detached window around the
 * message jumped to (`messages:around`), paged both ways until it meets the tail. The page shows the
 * window while there is one (`messages`, `byId`), else the tail.
 */
export class Thread {
  constructor(conversationId) {
    this.conversationId = conversationId;
    this.tail = new Segment();
    this.window = null; // {segment, floorSeq, ceilingSeq, hasOlder}: lies below the tail, with a hole between
    this.seen = null; // {from, to}: the seqs the reader has seen in one run since opening or jumping (unread.js)
    this.loaded = false; // the newest page of history has arrived
    this.loading = false; // one history request at a time
    this.held = null; // while a request is out: live changes, applied again over its answer
    this.hasMore = true; // older messages exist below the tail
    this.floorSeq = null; // lowest seq of the tail fetched through history: below it the page knows nothing
    // The resync cursor. A change to a message outside what is loaded counts as applied: loading
    // that message later fetches it as it is then.
    this.revisions = new RevisionWatermark();
  }

  get detached() {
    return this.window !== null;
  }

  /** The segment the page shows. */
  get shown() {
    return this.window ? this.window.segment : this.tail;
  }

  get messages() {
    return this.shown.messages;
  }

  get byId() {
    return this.shown.byId;
  }

  /** Older messages exist above what is shown. */
  get hasOlder() {
    return this.window ? this.window.hasOlder : this.hasMore;
  }

  /** The newest message the page has (the tail's, also while a window is shown). */
  get newestSeq() {
    return this.tail.newestSeq;
  }

  get oldestSeq() {
    return this.messages.length ? this.messages[0].seq : null;
  }

  indexOfSeq(seq) {
    return this.shown.indexOfSeq(seq);
  }

  /**
   * Insert or replace one message where it belongs; answers "inserted", "replaced" or null
   * (nothing changed). Either way the change with its revision is applied: shown, superseded by
   * a newer revision of the same message, or outside the history the page has loaded.
   */
  apply(message) {
    this.revisions.noteApplied(message.revision);
    if (this.held) {
      const kept = this.held.get(message.id);
      if (!kept || (kept.revision || 0) < (message.revision || 0)) this.held.set(message.id, message);
    }
    const window = this.window;
    if (window && message.seq >= window.floorSeq && message.seq <= window.ceilingSeq) {
      return window.segment.put(message);
    }
    // Below the tail (between the window and the tail, or under both) there is a hole that
    // paging fills; a change to a message down there must not appear next to the newer ones.
    if (!this.tail.byId.has(message.id) && this.hasMore && this.floorSeq !== null && message.seq < this.floorSeq) {
      return null;
    }
    return this.tail.put(message);
  }

  /**
   * The loaded replies to `original` whose quote of it changed (an edit, a deletion), quoted again
   * (`quoteOf`): the server sends the changed message, not every reply to it. Returns them.
   */
  requote(original, quoteOf) {
    const quote = quoteOf(original);
    const changed = [];
    for (const segment of [this.tail, this.window?.segment]) {
      for (const message of segment ? segment.messages : []) {
        const old = message.reply_to;
        if (!old || old.id !== original.id || message.removed) continue;
        if (old.removed === quote.removed && old.excerpt === quote.excerpt && old.sender?.id === quote.sender?.id) {
          continue;
        }
        message.reply_to = quote;
        changed.push(message);
      }
    }
    return changed;
  }

  /** A page of the tail's history (any order): widens the known range first, then applies. */
  applyHistory(messages, hasMore) {
    const seqs = messages.map((message) => message.seq);
    if (seqs.length) this.floorSeq = Math.min(this.floorSeq ?? Infinity, ...seqs);
    this.hasMore = hasMore && seqs.length > 0;
    if (!this.hasMore && this.floorSeq === null) this.floorSeq = 0;
    const changed = [];
    for (const message of messages) if (this.apply(message)) changed.push(message);
    // Live events that arrived before the first page may lie below it: drop them.
    if (this.hasMore) this.tail.dropBelow(this.floorSeq);
    return changed;
  }

  /**
   * The messages around one message (oldest first). Answers "joined" when they reach the tail
   * (they are now part of it), else "detached": the page shows this window instead of the tail.
   */
  openWindow(messages, hasOlder, hasNewer) {
    this.window = null;
    if (!messages.length) return "joined";
    const floorSeq = messages[0].seq;
    const ceilingSeq = messages[messages.length - 1].seq;
    this.window = { segment: new Segment(), floorSeq, ceilingSeq, hasOlder };
    for (const message of messages) this.apply(message);
    if (!hasNewer || this.reachesTail(ceilingSeq)) {
      this.join();
      return "joined";
    }
    return "detached";
  }

  /** An older page of the window (newest first); answers the messages that changed. */
  applyWindowOlder(messages, hasMore) {
    const window = this.window;
    if (messages.length) window.floorSeq = Math.min(window.floorSeq, ...messages.map((message) => message.seq));
    window.hasOlder = hasMore && messages.length > 0;
    return messages.filter((message) => this.apply(message));
  }

  /**
   * A newer page of the window (oldest first). When it reaches the tail the two become one:
   * answers the messages now shown that were not before.
   */
  applyWindowNewer(messages, hasMore) {
    const window = this.window;
    if (messages.length) window.ceilingSeq = Math.max(window.ceilingSeq, ...messages.map((message) => message.seq));
    const changed = messages.filter((message) => this.apply(message));
    if (hasMore && messages.length && !this.reachesTail(window.ceilingSeq)) return changed;
    const before = new Set(window.segment.byId.keys());
    this.join();
    return [...changed, ...this.tail.messages.filter((message) => !before.has(message.id))];
  }

  reachesTail(ceilingSeq) {
    return this.floorSeq === null || ceilingSeq + 1 >= this.floorSeq;
  }

  /** The window and the tail meet: one tail again, reaching as far back as the window did. */
  join() {
    const window = this.window;
    this.window = null;
    if (this.floorSeq === null || window.floorSeq < this.floorSeq) {
      this.floorSeq = window.floorSeq;
      this.hasMore = window.hasOlder;
    }
    for (const message of window.segment.messages) this.tail.put(message);
  }

  /** Back to the newest messages: the window is forgotten (paging loads it again if needed). */
  dropWindow() {
    this.window = null;
  }

  /** A history request is out: live changes meanwhile are kept, to apply over its answer. */
  hold() {
    this.held = new Map();
  }

  /** The answer of that request is applied: the changes that came meanwhile again (the newer copy wins). */
  release() {
    const held = this.held ? [...this.held.values()] : [];
    this.held = null;
    return held.filter((message) => this.apply(message));
  }
}
