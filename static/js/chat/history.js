// Paging a conversation's history over REST: the newest page when it opens, older pages
// as the reader scrolls up.

import { api, query } from "./api.js";
import { toast } from "./dom.js";

const PAGE_SIZE = 50;

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
    thread.loading = true;
    this.view.renderHistoryStatus();
    let page;
    try {
      page = await api("GET", `/conversations/${id}/messages` + query({ limit: PAGE_SIZE }));
    } catch (error) {
      toast(error.message);
      return false;
    } finally {
      thread.loading = false;
      if (this.view.isShowing(thread)) this.view.renderHistoryStatus();
    }
    if (this.store.threads.get(id) !== thread) return false; // the conversation went away meanwhile
    thread.loaded = true;
    thread.applyHistory(page.messages, page.has_more);
    // The watermark starts at what this page proves complete. The newest page is one snapshot
    // of the conversation's newest messages: every change up to the snapshot's revision is in
    // it, or belongs to a message below it that "load older" fetches as it is then. The answer
    // does not name that revision, but two lower bounds are known: the list's last_revision
    // read before asking, and the highest revision in the page. A live event that came while
    // loading and lies beyond what this proves leaves a gap, which the caller has synced.
    const pageRevision = Math.max(0, ...page.messages.map((message) => message.revision));
    thread.revisions.coveredUpTo(Math.max(listedRevision, pageRevision));
    for (const message of page.messages) {
      if (message.client_id && message.sender?.id === this.store.me.id) this.outbox.settle(message.client_id);
    }
    if (this.view.isShowing(thread)) {
      this.view.show(this.store.get(id), thread, this.outbox.forConversation(id));
      if (this.view.hasRoomAbove()) this.older(thread);
    }
    return true;
  }

  /** Load the page before the oldest one shown, keeping the reader's place. */
  async older(thread) {
    if (!thread || !thread.loaded || thread.loading || !thread.hasMore) return;
    thread.loading = true;
    this.view.renderHistoryStatus();
    let page;
    try {
      page = await api("GET", `/conversations/${thread.conversationId}/messages`
        + query({ limit: PAGE_SIZE, before: thread.floorSeq }));
    } catch (error) {
      toast(error.message);
      return;
    } finally {
      thread.loading = false;
      if (this.view.isShowing(thread)) this.view.renderHistoryStatus();
    }
    const changed = thread.applyHistory(page.messages, page.has_more);
    if (!this.view.isShowing(thread)) return;
    this.view.update(changed, { older: true });
    if (this.view.hasRoomAbove()) this.older(thread);
  }
}
