// Sending: each message goes into the outbox, then over the socket; files are uploaded first.
// Whatever is not acknowledged stays in the outbox and goes again after a reconnect; so does a file
// chosen while offline, or whose upload the lost connection broke: it waits, then is uploaded and sent
// (in this page only: a file not uploaded is not kept on disk, outbox.js), before what was written after it
// in its conversation. A refusal that sending again
// cannot change (too long, not a member, a file type not accepted…) is not retried: a text goes back to
// the composer (onRefused), a file's bubble offers only Discard.

import { uploadFile } from "../attachments.js";
import { toast } from "./dom.js";
import { errorText, t } from "../i18n.js";

// `busy`: the server refused the send unread because this connection has too many waiting.
const BUSY_RETRY_MS = 500;
// Refusals about the moment, not the message: the same message may go through later.
const RETRYABLE = new Set(["busy", "rate_limited", "unavailable", "storage_unavailable", "internal_error",
  "network_error", "cancelled"]);

/** A socket ack's refusal as an error: the server's message in the page's language (else `fallback`),
 *  its code and, for `rate_limited`, the seconds to wait (toast() counts them down). */
export function refusal(ack, fallback) {
  const error = new Error(errorText(ack?.error?.code, ack?.error?.message, ack?.error?.retry_after) || fallback);
  return Object.assign(error, { code: ack?.error?.code, retryAfter: ack?.error?.retry_after ?? null });
}

/** Whether sending the same thing again may work (no code: the connection, not the server, failed). */
export function retryable(code, status = 0) {
  return !code || RETRYABLE.has(code) || status >= 500;
}

export class Sender {
  constructor({ outbox, connection, receive, renderPending, onRefused }) {
    this.onRefused = onRefused; // (entry, why) => the refused text goes back to the composer
    this.outbox = outbox;
    this.connection = connection;
    this.receive = receive; // (conversationId, messages, "ack") => applies the stored message
    this.renderPending = renderPending; // (conversationId) => redraws its pending messages
    this.sendingQueued = false; // sendQueued() is under way
    this.queuedAgain = false; // a connect came during it: it goes through the queue once more
    // Back online before the socket noticed it was cut: no reconnect will flush what waited meanwhile.
    window.addEventListener("online", () => this.flush());
  }

  compose(conversationId, body, replyTo = null) {
    const entry = this.outbox.add(conversationId, body);
    if (entry && replyTo) entry.reply_to = replyTo; // the message answered (reply-draft.js)
    this.send(entry);
  }

  send(entry) {
    if (!entry) return;
    this.renderPending(entry.conversation_id);
    if (!this.connection.connected) return; // flush() sends it once we are back online
    entry.sentOn = this.connection.socket.id;
    const payload = { conversation_id: entry.conversation_id, body: entry.body, client_id: entry.client_id };
    if (entry.attachment_id) payload.attachment_id = entry.attachment_id;
    if (entry.reply_to) payload.reply_to = entry.reply_to;
    this.connection.emit("message:send", payload, (ack) => {
      if (ack?.ok) {
        this.receive(ack.message.conversation_id, [ack.message], "ack");
        return;
      }
      if (ack?.error?.code === "busy") {
        // Still pending: the same client_id again, unless it was settled or re-sent meanwhile.
        setTimeout(() => {
          if (this.outbox.get(entry.client_id) === entry && entry.state === "pending") this.send(entry);
        }, BUSY_RETRY_MS);
        return;
      }
      const refused = refusal(ack, t("The message was not sent."));
      const code = refused.code;
      if (this.outbox.get(entry.client_id) !== entry) return;
      toast(refused);
      if (!retryable(code) && !entry.attachment_id) {
        this.outbox.settle(entry.client_id); // its text is not lost: back in the composer
        this.onRefused(entry, refused.message);
      } else {
        // The bubble stays: without the seconds to wait, which the toast counts down.
        const lasting = errorText(code, ack?.error?.message) || refused.message;
        this.outbox.fail(entry.client_id, lasting, retryable(code));
      }
      this.renderPending(entry.conversation_id);
    });
  }

  /** On a new connection: everything still pending goes again, with its first client_id, in the order it
   * was written; a file that waited for the connection is uploaded first, and what was written after it in
   * its conversation waits for its message (sendQueued). */
  flush() {
    if (!this.connection.connected) return;
    const behindAFile = new Set(); // conversations where a waiting file comes before what follows
    for (const entry of this.outbox.queued()) {
      if (entry.state === "waiting") behindAFile.add(entry.conversation_id);
      else if (!behindAFile.has(entry.conversation_id) && this.due(entry)) this.send(entry);
    }
    this.sendQueued();
  }

  /** Not yet sent on this connection (pending: neither waiting, uploading nor refused). */
  due(entry) {
    return entry.state === "pending" && entry.sentOn !== this.connection.socket.id;
  }

  /** The waiting files, uploaded one after the other, each followed by what was written after it. */
  async sendQueued() {
    if (this.sendingQueued) { // one pass at a time: the one under way takes another turn after this one
      this.queuedAgain = true;
      return;
    }
    this.sendingQueued = true;
    try {
      do {
        // A reconnect during the pass may have left files chosen meanwhile out of its list: read it again.
        this.queuedAgain = false;
        for (const entry of this.outbox.queued()) {
          if (!this.connection.connected) break;
          if (this.outbox.get(entry.client_id) !== entry) continue; // discarded or stored meanwhile
          if (entry.state === "waiting") await this.upload(entry); // which sends its message
          else if (this.due(entry)) this.send(entry);
        }
      } while (this.queuedAgain && this.connection.connected);
    } finally {
      this.sendingQueued = false;
    }
  }

  /** Each file becomes a message of its own, sent in the order chosen; `caption` is the first one's text. */
  async attach(conversationId, files, caption = "") {
    const entries = files.map((file) => this.outbox.addFile(conversationId, file));
    if (caption && entries.length) entries[0].body = caption;
    for (const entry of entries) await this.upload(entry);
  }

  async upload(entry) {
    const id = entry.conversation_id;
    let drawing = false;
    const onProgress = (fraction) => {
      entry.progress = fraction;
      if (drawing) return;
      drawing = true; // one redraw per frame, however often the browser reports progress
      requestAnimationFrame(() => {
        drawing = false;
        this.renderPending(id);
      });
    };
    if (!this.connection.connected) { // offline: uploaded once the connection is back (flush)
      this.outbox.wait(entry);
      this.renderPending(id);
      return;
    }
    this.outbox.uploading(entry);
    this.renderPending(id);
    try {
      const attachment = await uploadFile(id, entry.file, { onProgress });
      this.outbox.uploaded(entry, attachment.id);
      this.send(entry);
    } catch (error) {
      // The network went (the browser knows before the socket does): it waits for the connection too.
      if (error.code === "network_error" && (!this.connection.connected || !navigator.onLine)) this.outbox.wait(entry);
      else if (this.outbox.fail(entry.client_id, error.message, retryable(error.code, error.status))) toast(error);
      this.renderPending(id);
    }
  }

  retry(entry) {
    const retried = this.outbox.retry(entry.client_id);
    if (retried?.state === "uploading") this.upload(retried);
    else this.send(retried);
  }
}
