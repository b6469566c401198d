// Catching up: after a reconnect, or when a live event shows that one was missed, ask the
// server for every change after the last revision each loaded conversation has applied.

import { toast } from "./dom.js";

const GAP_SYNC_DELAY_MS = 1500;

export class Sync {
  constructor({ store, connection, receive }) {
    this.store = store;
    this.connection = connection;
    this.receive = receive; // (conversationId, messages, "sync") => applies them
    this.gapTimers = new Map();
  }

  /** Sync these conversations, page after page while the server has more. */
  async run(conversationIds) {
    let cursors = conversationIds
      .filter((id) => this.store.threads.get(id)?.loaded)
      .map((id) => ({ conversation_id: id, since: this.store.threads.get(id).revision }));
    while (cursors.length && this.connection.connected) {
      let answer;
      try {
        answer = await this.connection.request("sync", { conversations: cursors });
      } catch {
        return; // disconnected or timed out: the next connect syncs again
      }
      if (!answer?.ok) {
        toast(answer?.error?.message || "Could not catch up with the server.");
        return;
      }
      const next = [];
      for (const result of answer.conversations) {
        const thread = this.store.threads.get(result.conversation_id);
        if (!thread) continue;
        if (result.error) {
          this.store.threads.delete(result.conversation_id); // no longer ours; the list says so too
          continue;
        }
        this.receive(result.conversation_id, result.messages, "sync");
        thread.advanceTo(result.revision);
        if (result.has_more) next.push({ conversation_id: result.conversation_id, since: thread.revision });
      }
      cursors = next;
    }
  }

  /** Sync every conversation whose messages are loaded. */
  all() {
    return this.run([...this.store.threads.keys()]);
  }

  /** A live event skipped a revision: fetch the missing changes unless they arrive by then. */
  soon(conversationId) {
    if (this.gapTimers.has(conversationId)) return;
    this.gapTimers.set(conversationId, setTimeout(() => {
      this.gapTimers.delete(conversationId);
      if (this.store.threads.get(conversationId)?.ahead.size) this.run([conversationId]);
    }, GAP_SYNC_DELAY_MS));
  }

  forget(conversationId) {
    clearTimeout(this.gapTimers.get(conversationId));
    this.gapTimers.delete(conversationId);
  }
}
