// Messages typed but not yet acknowledged by the server. Each keeps its client_id for life,
// so a re-send after a reconnect is recognised by the server as the same message.

import { newClientId } from "./dom.js";

export class Outbox {
  constructor() {
    this.entries = new Map(); // client_id -> entry, in the order they were written
  }

  add(conversationId, body) {
    const entry = {
      client_id: newClientId(),
      conversation_id: conversationId,
      body,
      created_at: new Date().toISOString(),
      state: "pending", // "uploading" (its file), or "failed" (refused: not re-sent by itself)
      error: null,
      sentOn: null, // the socket id of the last attempt: one attempt per connection
      attachment_id: null,
    };
    this.entries.set(entry.client_id, entry);
    return entry;
  }

  /** A file to upload, then send as a message of its own. */
  addFile(conversationId, file) {
    const entry = this.add(conversationId, "");
    Object.assign(entry, { state: "uploading", file, fileName: file.name || "file", progress: 0 });
    return entry;
  }

  get(clientId) {
    return this.entries.get(clientId);
  }

  forConversation(conversationId) {
    return [...this.entries.values()].filter((entry) => entry.conversation_id === conversationId);
  }

  /** Entries still to be sent on the connection `socketId`. */
  due(socketId) {
    return [...this.entries.values()].filter((entry) => entry.state === "pending" && entry.sentOn !== socketId);
  }

  /** The stored message arrived (ack, live event or sync): the pending copy goes. */
  settle(clientId) {
    return this.entries.delete(clientId);
  }

  fail(clientId, error) {
    const entry = this.entries.get(clientId);
    if (entry) {
      entry.state = "failed";
      entry.error = error;
    }
    return entry;
  }

  retry(clientId) {
    const entry = this.entries.get(clientId);
    if (entry) {
      entry.state = entry.file && !entry.attachment_id ? "uploading" : "pending";
      entry.error = null;
      entry.sentOn = null;
    }
    return entry;
  }

  dropConversation(conversationId) {
    for (const entry of this.forConversation(conversationId)) this.entries.delete(entry.client_id);
  }
}
