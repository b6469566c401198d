// What the user could actually see, for marking read (docs/protocol.md "Delivery and read receipts"):
// only a visible, focused window counts, and only the messages scrolled into view. Also the
// "New messages" divider above the first unread message of a conversation as it is opened, and the
// jump to it when the unread messages do not all fit on the screen (as Telegram and Slack do).

import { el } from "./dom.js";
import { t } from "../i18n.js";

// History pages loaded at most to reach the first unread message; further back, the page opens a
// window from it instead (history.js), as it does for a jump.
const MAX_PAGES_BACK = 2;

/** The page is in front of the user: a visible tab in a focused window. */
export function pageIsSeen() {
  return document.visibilityState === "visible" && document.hasFocus();
}

/** The first and last seq of the messages at least partly inside the scroller's visible area, or null. */
export function visibleSeqs(scroller, list) {
  const { top, bottom } = scroller.getBoundingClientRect();
  let first = null;
  let last = null;
  for (const item of list.children) {
    if (!item.dataset.seq || item.hidden) continue;
    const box = item.getBoundingClientRect();
    if (box.bottom <= top) continue;
    if (box.top >= bottom) break;
    first ??= Number(item.dataset.seq);
    last = Number(item.dataset.seq);
  }
  return first === null ? null : { first, last };
}

/**
 * How far the reader has now read, from what is `visible` and the read position `readSeq`. At the
 * newest end of the conversation (not a window far back): everything shown there, as every chat
 * counts it. Elsewhere only a run of messages seen one screen after the other since the
 * conversation was opened or the last jump (`thread.seen`), and only once that run starts at the
 * read position: a jump or a fast scroll over unread messages does not read them.
 */
export function readPosition(thread, visible, readSeq, atNewestEnd) {
  if (!visible) return readSeq;
  if (atNewestEnd && !thread.detached) return Math.max(readSeq, visible.last);
  const run = thread.seen;
  const joins = run && visible.first <= run.to + 1 && visible.last >= run.from - 1;
  thread.seen = joins ? { from: Math.min(run.from, visible.first), to: Math.max(run.to, visible.last) }
    : { from: visible.first, to: visible.last };
  return thread.seen.from <= readSeq + 1 ? Math.max(readSeq, thread.seen.to) : readSeq;
}

export class UnreadDivider {
  constructor({ me, scroller, list }) {
    this.me = me;
    this.scroller = scroller;
    this.list = list;
    this.after = null; // the read position when the conversation was opened, while it had unread messages
    this.jumped = false; // the reader was brought to the divider and has not reached the newest end since
    this.revealing = false; // opened with unread messages, not yet shown where they begin: read nothing yet
    scroller.addEventListener("scroll", () => {
      if (scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80) this.jumped = false;
    });
    // A plain list item: an <ol> may hold only list items (role="separator" broke the list for screen readers).
    this.node = el("li", { className: "unread-divider" }, [
      el("span", { text: t("New messages") })]);
  }

  /** A conversation is opened: remember where its unread messages began. */
  start(conversation) {
    const read = conversation.membership?.last_read_seq || 0;
    this.after = conversation.unread_count > 0 && (conversation.last_seq || 0) > read ? read : null;
    this.jumped = false;
    this.revealing = this.after !== null;
    this.node.remove();
  }

  stop() {
    this.after = null;
    this.jumped = false;
    this.revealing = false;
    this.node.remove();
  }

  /** Put the divider above the first message of others after the read position (after any redraw);
   * answers true when it brought the reader back to it (a redraw while they read from there). */
  place() {
    if (this.after === null) return false;
    const first = [...this.list.children].find((item) => Number(item.dataset.seq) > this.after
      && !item.classList.contains("own") && !item.hidden);
    if (first) this.list.insertBefore(this.node, first);
    else this.node.remove();
    if (!this.jumped || !this.node.isConnected) return false;
    this.scrollToDivider();
    return true;
  }

  /** Where the divider sits in the scrolled content. */
  dividerTop() {
    return this.node.getBoundingClientRect().top - this.scroller.getBoundingClientRect().top + this.scroller.scrollTop;
  }

  scrollToDivider() {
    this.scroller.scrollTop = Math.max(0, this.dividerTop() - 8);
    // Now, not when the browser gets to it: the view stops following the newest end before anything
    // (a picture loading, a message arriving) would take the reader down there.
    this.scroller.dispatchEvent(new Event("scroll"));
  }

  /**
   * Once the newest page is shown: load older pages until the first unread message is there (or,
   * when it lies further back, the window from it: `openFrom(seq)`), then bring the divider to the
   * top if the unread messages do not fit below it. Answers whether it jumped.
   */
  async reveal(thread, { loadOlder, openFrom }) {
    const after = this.after;
    try {
      return await this.bringIntoView(thread, loadOlder, openFrom);
    } finally {
      if (this.after === after) this.revealing = false;
    }
  }

  async bringIntoView(thread, loadOlder, openFrom) {
    if (this.after === null) return false;
    const after = this.after;
    const missing = () => !thread.detached && thread.hasMore && (thread.floorSeq ?? Infinity) > after + 1;
    let pages = 0;
    let waits = 0;
    while (pages < MAX_PAGES_BACK && waits < 200 && missing()) {
      if (thread.loading) { // a page is on its way already (the view asked for one to fill the screen)
        waits += 1;
        await new Promise((resolve) => setTimeout(resolve, 50));
      } else {
        pages += 1;
        await loadOlder();
      }
    }
    if (this.after === after && missing() && !thread.loading) await openFrom(after);
    if (this.after !== after) return false; // another conversation was opened meanwhile
    this.place();
    if (!this.node.isConnected || this.jumped) return this.jumped;
    // Above what the newest end shows, or not.
    if (this.dividerTop() >= this.scroller.scrollHeight - this.scroller.clientHeight) return false;
    this.scrollToDivider();
    this.jumped = true;
    return true;
  }
}
