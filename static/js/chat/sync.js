// Catching up: after a reconnect, or when a conversation has a gap (a revision known to exist
// above its watermark), ask the server for every change after each conversation's watermark.

import { toast } from "./dom.js";
import { errorText, t } from "../i18n.js";

const GAP_SYNC_DELAY_MS = 1500; // a skipped revision often arrives by itself meanwhile (out of order)
const CURSORS_PER_REQUEST = 500; // the server refuses a longer `sync` (docs/protocol.md): more, more requests

export class Sync {
  constructor({ store, connection, receive, gapDelayMs = GAP_SYNC_DELAY_MS }) {
    this.store = store;
    this.connection = connection;
    this.receive = receive; // (conversationId, messages, "sync") => applies them
    this.gapDelayMs = gapDelayMs;
    this.gapTimers = new Map();
    this.inFlight = new Set(); // conversations with a sync request on its way: one at a time each
    this.again = new Set(); // asked for while in flight: synced once more when that request lands
  }

  /** Sync these conversations (those whose messages are loaded), page after page while the server has more. */
  async run(conversationIds) {
    const loaded = conversationIds.filter((id) => this.store.threads.get(id)?.loaded);
    for (const id of loaded) if (this.inFlight.has(id)) this.again.add(id);
    const threads = new Map(loaded.filter((id) => !this.inFlight.has(id))
      .map((id) => [id, this.store.threads.get(id)]));
    if (!threads.size) return;
    const before = new Map([...threads].map(([id, thread]) => [id, thread.revisions.watermark]));
    for (const id of threads.keys()) this.inFlight.add(id);
    let caughtUp = new Set();
    try {
      caughtUp = await this.catchUp(threads);
    } finally {
      for (const id of threads.keys()) this.inFlight.delete(id);
    }
    // Asked again meanwhile: once more, unless this run got to the end and left no gap.
    const rerun = [...threads.keys()].filter((id) => this.again.delete(id)
      && (!caughtUp.has(id) || threads.get(id).revisions.hasGap));
    if (rerun.length) await this.run(rerun);
    for (const [id, thread] of threads) {
      // Live events during the request may have opened a new gap. A request that moved
      // nothing (offline, refused) is not repeated: the next connect or event asks again.
      if (thread.revisions.watermark > before.get(id)) this.check(id);
    }
  }

  /** Ask for the changes since each thread's watermark until none is left; answers the ids done. */
  async catchUp(threads) {
    const caughtUp = new Set();
    const cursor = (id) => ({ conversation_id: id, since: threads.get(id).revisions.watermark });
    let cursors = [...threads.keys()].map(cursor);
    while (cursors.length && this.connection.connected) {
      let answer;
      try {
        answer = await this.connection.request("sync", { conversations: cursors.slice(0, CURSORS_PER_REQUEST) });
      } catch {
        return caughtUp; // disconnected or timed out: the next connect syncs again
      }
      if (!answer?.ok) {
        toast(errorText(answer?.error?.code, answer?.error?.message) || t("Could not catch up with the server."));
        return caughtUp;
      }
      const next = cursors.slice(CURSORS_PER_REQUEST).map((rest) => cursor(rest.conversation_id)); // then these
      for (const result of answer.conversations) {
        const id = result.conversation_id;
        const thread = threads.get(id);
        if (!thread || this.store.threads.get(id) !== thread) continue; // gone meanwhile (or reloaded)
        if (result.error) {
          this.store.threads.delete(id); // no longer ours; the list says so too
          continue;
        }
        this.receive(id, result.messages, "sync");
        // Every change up to `revision` is in this answer or was before the cursor.
        thread.revisions.coveredUpTo(result.revision);
        if (result.has_more) next.push(cursor(id));
        else caughtUp.add(id);
      }
      cursors = next;
    }
    return caughtUp;
  }

  /** Sync every conversation whose messages are loaded. */
  all() {
    return this.run([...this.store.threads.keys()]);
  }

  /** A loaded conversation with a gap gets its changes soon, unless the missing ones arrive by then. */
  check(conversationId) {
    const thread = this.store.threads.get(conversationId);
    if (!thread?.loaded || !thread.revisions.hasGap || this.gapTimers.has(conversationId)) return;
    this.gapTimers.set(conversationId, setTimeout(() => {
      this.gapTimers.delete(conversationId);
      if (this.store.threads.get(conversationId)?.revisions.hasGap) this.run([conversationId]);
    }, this.gapDelayMs));
  }

  forget(conversationId) {
    clearTimeout(this.gapTimers.get(conversationId));
    this.gapTimers.delete(conversationId);
  }
}
