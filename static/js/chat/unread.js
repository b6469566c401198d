// What the user could actually see, for marking read (docs/protocol.md "Delivery and read receipts"):
// only a visible, focused window counts, and only the messages scrolled into view. Also the
// "New messages" divider above the first unread message of a conversation as it is opened, and the
// jump to it when the unread messages do not all fit on the screen (as Telegram and Slack do).

import { el } from "./dom.js";
import { t } from "../i18n.js";

const MAX_PAGES_BACK = 10; // history pages loaded at most to reach the first unread message

/** The page is in front of the user: a visible tab in a focused window. */
export function pageIsSeen() {
  return document.visibilityState === "visible" && document.hasFocus();
}

/** The highest seq of a message at least partly inside the scroller's visible area (0: none). */
export function seenUpTo(scroller, list) {
  const bottom = scroller.getBoundingClientRect().bottom;
  const items = list.children;
  for (let index = items.length - 1; index >= 0; index -= 1) {
    const item = items[index];
    if (!item.dataset.seq || item.hidden) continue;
    if (item.getBoundingClientRect().top < bottom) return Number(item.dataset.seq);
  }
  return 0;
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
   * Once the newest page is shown: load older pages until the first unread message is there, then
   * bring the divider to the top if the unread messages do not fit below it. Answers whether it jumped.
   */
  async reveal(thread, loadOlder) {
    const after = this.after;
    try {
      return await this.bringIntoView(thread, loadOlder);
    } finally {
      if (this.after === after) this.revealing = false;
    }
  }

  async bringIntoView(thread, loadOlder) {
    if (this.after === null) return false;
    const after = this.after;
    let pages = 0;
    let waits = 0;
    while (pages < MAX_PAGES_BACK && waits < 200 && thread.hasMore && (thread.floorSeq ?? Infinity) > after + 1) {
      if (thread.loading) { // a page is on its way already (the view asked for one to fill the screen)
        waits += 1;
        await new Promise((resolve) => setTimeout(resolve, 50));
      } else {
        pages += 1;
        await loadOlder();
      }
    }
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
