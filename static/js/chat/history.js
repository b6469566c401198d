// Paging a conversation's history over REST: the newest page when it opens, older pages as the
// reader scrolls up; and a jump to a message far back (a quote, a search result): the window
// around it (`GET /api/messages/<id>/around`), paged both ways until it meets the newest messages.

import { api, query } from "./api.js";
import { toast } from "./dom.js";
import { t } from "../i18n.js";

const PAGE_SIZE = 50;
const IDLE_WAIT_MS = 50;
const IDLE_WAITS = 200; // 10 s for the request already out before a jump gives up

export class History {
  constructor({ store, view, outbox }) {
    this.store = store;
    this.view = view;
    this.outbox = outbox;
  }

  /** Load the newest page of a thread; answers true once it is loaded. */
  async newest(thread) {
    if (thread.loading) return false;
    const id = thread.conversationId;
    // Read before asking: the page will be a later snapshot, so it holds every change up to here.
    const listedRevision = this.store.get(id)?.last_revision || 0;
    const page = await this.request(thread, `/conversations/${id}/messages` + query({ limit: PAGE_SIZE }));
    if (!page || this.store.threads.get(id) !== thread) { // failed, or the conversation went away
      thread.release();
      return false;
    }
    thread.loaded = true;
    thread.applyHistory(page.messages, page.has_more);
    thread.release();
    // The watermark starts at what this page proves complete. The newest page is one snapshot
    // of the conversation's newest messages: every change up to the snapshot's revision is in
    // it, or belongs to a message below it that "load older" fetches as it is then. The answer
    // does not name that revision, but two lower bounds are known: the list's last_revision
    // read before asking, and the highest revision in the page. A live event that came while
    // loading and lies beyond what this proves leaves a gap, which the caller has synced.
    const pageRevision = Math.max(0, ...page.messages.map((message) => message.revision));
    thread.revisions.coveredUpTo(Math.max(listedRevision, pageRevision));
    this.settleOwn(page.messages);
    if (this.view.isShowing(thread) && !thread.detached) {
      this.view.show(this.store.get(id), thread, this.outbox.forConversation(id));
      if (this.view.hasRoomAbove()) this.older(thread);
    }
    return true;
  }

  /** Load the page before the oldest one shown (of the window, or of the tail), keeping the reader's place. */
  async older(thread) {
    if (!thread || !thread.loaded || thread.loading || !thread.hasOlder) return;
    const window = thread.window;
    const before = window ? window.floorSeq : thread.floorSeq;
    const page = await this.request(thread, `/conversations/${thread.conversationId}/messages`
      + query({ limit: PAGE_SIZE, before }));
    if (!page || thread.window !== window) { // failed, or jumped elsewhere meanwhile
      thread.release();
      return;
    }
    const changed = window ? thread.applyWindowOlder(page.messages, page.has_more)
      : thread.applyHistory(page.messages, page.has_more);
    changed.push(...thread.release());
    if (!this.view.isShowing(thread)) return;
    this.view.update(changed, { older: true });
    if (this.view.hasRoomAbove()) this.older(thread);
  }

  /** Load the page after the newest one of a detached window; the window joins the tail when they meet. */
  async newer(thread) {
    const window = thread?.window;
    if (!window || thread.loading) return;
    const page = await this.request(thread, `/conversations/${thread.conversationId}/messages`
      + query({ limit: PAGE_SIZE, after: window.ceilingSeq }));
    if (!page || thread.window !== window) {
      thread.release();
      return;
    }
    const changed = thread.applyWindowNewer(page.messages, page.has_more);
    changed.push(...thread.release());
    if (!this.view.isShowing(thread)) return;
    this.view.update(changed, { newer: true });
    if (thread.detached && this.view.hasRoomBelow()) this.newer(thread);
  }

  /**
   * Show one message of the shown thread, highlighted, in the middle of the pane: at once when it
   * is loaded, else after loading the window around it. Answers false (and says so) when it is not
   * available.
   */
  async jumpTo(thread, messageId) {
    if (!thread.byId.has(messageId)) {
      for (let waits = 0; thread.loading && waits < IDLE_WAITS; waits += 1) await pause(IDLE_WAIT_MS);
      if (thread.loading || !this.view.isShowing(thread)) return false;
      const answer = await this.request(thread, `/messages/${messageId}/around` + query({ limit: PAGE_SIZE }));
      if (!answer || answer.conversation_id !== thread.conversationId || !this.view.isShowing(thread)) {
        thread.release();
        if (answer) toast(t("The original message is not available."));
        return false;
      }
      thread.openWindow(answer.messages, answer.has_more_before, answer.has_more_after);
      thread.release();
      this.settleOwn(answer.messages);
      const id = thread.conversationId;
      this.view.show(this.store.get(id), thread, this.outbox.forConversation(id), { at: messageId });
    }
    thread.seen = null; // a jump: what the reader saw before does not run on to here
    if (this.view.showMessage(messageId)) return true;
    toast(t("The original message is not available."));
    return false;
  }

  /** Open the window that starts after `seq` (the first unread message, far back), shown from its top. */
  async from(thread, seq) {
    const id = thread.conversationId;
    const page = await this.request(thread, `/conversations/${id}/messages` + query({ limit: PAGE_SIZE, after: seq }));
    if (!page || !this.view.isShowing(thread)) {
      thread.release();
      return;
    }
    thread.openWindow(page.messages, seq > 0, page.has_more);
    thread.release();
    this.settleOwn(page.messages);
    this.view.show(this.store.get(id), thread, this.outbox.forConversation(id), { at: page.messages[0]?.id ?? 0 });
  }

  /** Back to the newest messages ("Jump to latest"): the window is dropped, the tail shown at its end. */
  latest(thread) {
    thread.dropWindow();
    const id = thread.conversationId;
    if (this.view.isShowing(thread)) this.view.show(this.store.get(id), thread, this.outbox.forConversation(id));
    this.view.scrollToBottom();
  }

  /** One history GET, one at a time per thread; live changes meanwhile are held (thread.release). */
  async request(thread, path) {
    thread.loading = true;
    thread.hold();
    this.view.renderHistoryStatus();
    try {
      return await api("GET", path);
    } catch (error) {
      thread.release();
      toast(error);
      return null;
    } finally {
      thread.loading = false;
      if (this.view.isShowing(thread)) this.view.renderHistoryStatus();
    }
  }

  settleOwn(messages) {
    for (const message of messages) {
      if (message.client_id && message.sender?.id === this.store.me.id) this.outbox.settle(message.client_id);
    }
  }
}

function pause(milliseconds) {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
