// Messages typed but not yet acknowledged by the server. Each keeps its client_id for life,
// so a re-send after a reconnect, or after the tab was closed and opened again (outbox-store.js
// keeps a copy on disk), is recognised by the server as the same message.

import { newClientId } from "./dom.js";
import { placeOf } from "./outbox-store.js";

/** Whether `entry` is still to go: what was written after it in its conversation waits for it (sender.js), and
 *  closing the page would lose or hold it (`unsent`). All but a message refused for good (a file's bubble left
 *  with only Discard). */
export function holdsTheLine(entry) {
  return entry.state !== "failed" || entry.retryable !== false;
}

export class Outbox {
  /** `store`: an OutboxStore (or null: nothing kept across loads). */
  constructor(store = null) {
    this.entries = new Map(); // client_id -> entry, in the order they were written
    this.store = store;
    this.lastOrder = 0; // the `order` of the entry written last (or restored)
  }

  /** The entries an earlier page of this user left unsent, with their client_ids, in the order written (before
   *  connecting); the ones written here come after them. */
  async restore() {
    if (!this.store) return;
    for (const kept of await this.store.all()) {
      this.lastOrder = Math.max(this.lastOrder, placeOf(kept));
      if (this.entries.has(kept.client_id) || (kept.fileName && !kept.attachment_id)) continue;
      this.entries.set(kept.client_id, { ...kept, sentOn: null, error: kept.error ?? null });
    }
  }

  /** Each entry's place in the order written, kept with it: the time in ms, but always past the one before, so
   *  that two written in the same millisecond (files chosen together) come back in their order after a reload,
   *  and those of two tabs of the same user about as they were written. */
  nextOrder() {
    this.lastOrder = Math.max(Date.now(), this.lastOrder + 1);
    return this.lastOrder;
  }

  /** Written to disk once it can be sent again from there: text, or a file already uploaded. */
  keep(entry) {
    if (this.store && entry && (!entry.file || entry.attachment_id)) this.store.put(entry);
  }

  /** Anything that would be lost, or not sent, if the page closed now: all but what the server refused for good. A
   *  send or upload refused for the moment is not sent yet either (tried again by itself, or by its Retry), and a
   *  file not uploaded is tried again by this page only (its bytes are not kept on disk). */
  unsent() {
    return [...this.entries.values()].some(holdsTheLine);
  }

  add(conversationId, body) {
    const entry = {
      client_id: newClientId(),
      conversation_id: conversationId,
      body,
      created_at: new Date().toISOString(),
      order: this.nextOrder(),
      state: "pending", // "uploading" (its file), "waiting" (its file, for the connection), or "failed"
      // (refused: sent again by itself only when the server could not take it, sender.js retriesByItself)
      error: null, // the refusal, in words
      error_code: null, // the refusal's code (sender.js: whether it goes again by itself after a reload)
      sentOn: null, // the socket id of the last attempt: one attempt per connection
      attachment_id: null,
      retryable: true, // false once the server refused it for good (not sent again as it is)
    };
    this.entries.set(entry.client_id, entry);
    if (body) this.keep(entry);
    return entry;
  }

  /** A file to upload, then send as a message of its own. */
  addFile(conversationId, file) {
    const entry = this.add(conversationId, "");
    Object.assign(entry, { state: "uploading", file, fileName: file.name || "file", fileSize: file.size, progress: 0 });
    return entry;
  }

  /** Its file is being uploaded (again, from the start). */
  uploading(entry) {
    entry.state = "uploading";
    entry.progress = 0;
  }

  /** Its file waits for the connection to come back before it is uploaded. */
  wait(entry) {
    entry.state = "waiting";
    entry.progress = 0;
  }

  /** What is still to send, in the order written: pending messages and files waiting for the connection. */
  queued() {
    return [...this.entries.values()].filter((entry) => ["pending", "waiting"].includes(entry.state));
  }

  /** Its file is stored: the message itself is still to send. */
  uploaded(entry, attachmentId) {
    entry.attachment_id = attachmentId;
    entry.state = "pending";
    this.keep(entry);
  }

  get(clientId) {
    return this.entries.get(clientId);
  }

  forConversation(conversationId) {
    return [...this.entries.values()].filter((entry) => entry.conversation_id === conversationId);
  }

  /** The stored message arrived (ack, live event or sync): the pending copy goes. */
  settle(clientId) {
    this.store?.delete(clientId);
    return this.entries.delete(clientId);
  }

  /** Refused or not sent: `retryable` false when sending it again as it is would be refused again; `code`, the
   *  refusal's (none: the connection failed). */
  fail(clientId, error, retryable = true, code = null) {
    const entry = this.entries.get(clientId);
    if (entry) {
      entry.state = "failed";
      entry.error = error;
      entry.error_code = code ?? null;
      entry.retryable = retryable;
      this.keep(entry);
    }
    return entry;
  }

  retry(clientId) {
    const entry = this.entries.get(clientId);
    if (entry) {
      entry.state = entry.file && !entry.attachment_id ? "uploading" : "pending";
      entry.error = null;
      entry.error_code = null;
      entry.sentOn = null;
      this.keep(entry);
    }
    return entry;
  }

  dropConversation(conversationId) {
    for (const entry of this.forConversation(conversationId)) this.settle(entry.client_id);
  }

  /** On logout: nothing of this user stays in the browser. */
  forget() {
    this.entries.clear();
    return this.store?.clear();
  }
}
