// Sending: each message goes into the outbox, then over the socket; files are uploaded first.
// Within a conversation, messages go one at a time, in the order written: the next one is sent once the answer
// to the one before it came (stored, or given up). Sent together, a later one could be stored before the refusal
// of an earlier one (`busy`, `rate_limited`, `unavailable`…) came back, and the earlier one, sent again, be
// stored after it: the server numbers messages in the order it stores them. What was written behind a file waits
// for its upload and its message; behind a send refused for the moment, until it goes again (by itself after a
// while when the server could not take it, by its Retry when the send rate refused it) or is discarded; a refusal
// for good holds up nothing. Conversations do not wait for each other.
// Whatever is not acknowledged stays in the outbox and goes again after a reconnect, or on the next load with what
// the server could not take (restore; outbox-store.js keeps it on disk); so does a file chosen while offline, or
// whose upload the lost connection broke: it waits, then is uploaded and sent (in this page only: a file not
// uploaded is not kept on disk, outbox.js). A refusal that sending again cannot change (too long, not a member, a
// file type not accepted…) is not retried: a text goes back to the composer (onRefused), a file's bubble offers
// only Discard.

import { uploadFile } from "../attachments.js";
import { toast } from "./dom.js";
import { holdsTheLine } from "./outbox.js";
import { errorText, t } from "../i18n.js";

// `busy`: the server refused the send unread because this connection has too many waiting.
const BUSY_RETRY_MS = 500;
// A refusal of the server's moment (`unavailable`, `internal_error`, `storage_unavailable`…), of a send or of a
// file's upload, is tried again by itself after 2, 4, 8… s, at most 30 s apart; its Retry does it sooner. Not
// `rate_limited`: the sender's own pace, whose toast counts down the wait, waits for its Retry.
const RETRY_BACKOFF_MS = [2000, 4000, 8000, 16000, 30000];
// A send whose answer has not come this long after it, on a connection still up, is sent again with its
// client_id (the server stores it once): the ones written after it wait for that answer.
const ANSWER_TIMEOUT_MS = 30000;
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

/** Whether a refusal is tried again by itself (retryLater, and after a reload: restore): the server's moment, not
 *  the sender's pace (`rate_limited`: its Retry) nor the message itself (refused for good). */
export function retriesByItself(code, status = 0) {
  return retryable(code, status) && code !== "rate_limited";
}

/** The pending entries of one conversation (in the order written) that wait for an earlier one that is not
 *  on its way: a file uploading or waiting for the connection, a send refused until Retry. */
export function waitingBehind(entries) {
  const waiting = new Set();
  let stopped = false;
  for (const entry of entries) {
    if (stopped && entry.state === "pending") waiting.add(entry);
    if (entry.state !== "pending" && holdsTheLine(entry)) stopped = true;
  }
  return waiting;
}

export class Sender {
  constructor({ outbox, connection, receive, renderPending, onRefused }) {
    this.onRefused = onRefused; // (entry, why) => the refused text goes back to the composer
    this.outbox = outbox;
    this.connection = connection;
    this.receive = receive; // (conversationId, messages, "ack") => applies the stored message
    this.renderPending = renderPending; // (conversationId) => redraws its pending messages
    this.sendingQueued = false; // sendQueued() is under way
    this.answerTimeoutMs = ANSWER_TIMEOUT_MS;
    this.queuedAgain = false; // a connect came during it: it goes through the queue once more
    // Back online before the socket noticed it was cut: no reconnect will flush what waited meanwhile.
    window.addEventListener("online", () => this.flush());
  }

  compose(conversationId, body, replyTo = null) {
    const entry = this.outbox.add(conversationId, body);
    if (!entry) return;
    if (replyTo) entry.reply_to = replyTo; // the message answered (reply-draft.js)
    this.renderPending(conversationId);
    this.next(conversationId);
  }

  /** Sends the conversation's first message in line, unless it is on its way already (or waits to go again
   *  after `busy`): one at a time, so that none is stored before one written earlier. */
  next(conversationId) {
    if (!this.connection.connected) return; // flush() sends it once we are back online
    const first = this.outbox.forConversation(conversationId).find(holdsTheLine);
    if (first?.state === "pending" && this.due(first)) this.send(first);
  }

  send(entry) {
    const sentOn = entry.sentOn = this.connection.socket.id;
    const payload = { conversation_id: entry.conversation_id, body: entry.body, client_id: entry.client_id };
    if (entry.attachment_id) payload.attachment_id = entry.attachment_id;
    if (entry.reply_to) payload.reply_to = entry.reply_to;
    const unanswered = setTimeout(() => { // lost on the way: sent again, unless settled or sent again meanwhile
      if (this.outbox.get(entry.client_id) !== entry || entry.state !== "pending" || entry.sentOn !== sentOn) return;
      entry.sentOn = null;
      this.next(entry.conversation_id);
    }, this.answerTimeoutMs);
    this.connection.emit("message:send", payload, (ack) => {
      clearTimeout(unanswered);
      this.answered(entry, ack);
      this.next(entry.conversation_id); // stored or given up: the one written after it goes
    });
  }

  answered(entry, ack) {
    if (ack?.ok) {
      this.receive(ack.message.conversation_id, [ack.message], "ack");
      return;
    }
    if (ack?.error?.code === "busy") {
      // Still first in line: the same client_id again, unless it was settled or re-sent meanwhile (a reconnect).
      const refusedOn = entry.sentOn;
      setTimeout(() => {
        const stillRefused = this.outbox.get(entry.client_id) === entry && entry.state === "pending";
        if (!stillRefused || entry.sentOn !== refusedOn) return;
        entry.sentOn = null;
        this.next(entry.conversation_id);
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
      // The bubble stays: without the seconds to wait, which the toast counts down. What follows waits for its
      // Retry (or Discard), unless it is refused for good.
      const lasting = errorText(code, ack?.error?.message) || refused.message;
      this.outbox.fail(entry.client_id, lasting, retryable(code), code);
      if (retriesByItself(code)) this.retryLater(entry);
    }
    this.renderPending(entry.conversation_id);
  }

  /** A send the server could not take just now goes again by itself (as a chat app's queue does), so that what
   *  was written after it is not held up until someone clicks Retry: after a growing wait (RETRY_BACKOFF_MS). */
  retryLater(entry) {
    const attempt = entry.autoRetries ?? 0;
    entry.autoRetries = attempt + 1;
    const delay = RETRY_BACKOFF_MS[Math.min(attempt, RETRY_BACKOFF_MS.length - 1)];
    setTimeout(() => {
      const stillRefused = this.outbox.get(entry.client_id) === entry && entry.state === "failed";
      if (stillRefused && entry.autoRetries === attempt + 1) this.retry(entry.client_id); // not retried by hand
    }, delay);
  }

  /** Before connecting: what an earlier page of this user left unsent (outbox.restore), each conversation's in the
   *  order written. What that page was trying again by itself goes again (flush, once connected), its timers
   *  having gone with it, so that it and what was written after it are sent without a click; a refusal of the
   *  send rate, or for good, still waits for its Retry or Discard. An entry kept without its refusal's code (an
   *  earlier version of the page) goes once more too: the server's answer decides again. */
  async restore() {
    await this.outbox.restore();
    for (const entry of [...this.outbox.entries.values()]) {
      if (entry.state === "failed" && entry.retryable !== false && retriesByItself(entry.error_code)) {
        this.outbox.retry(entry.client_id);
      }
    }
  }

  /** On a new connection: what is still pending goes again, with its first client_id, each conversation's in
   * the order it was written (next); the files that waited for the connection are uploaded (sendQueued). */
  flush() {
    if (!this.connection.connected) return;
    for (const conversationId of new Set(this.outbox.queued().map((entry) => entry.conversation_id))) {
      this.next(conversationId);
    }
    this.sendQueued();
  }

  /** Not yet sent on this connection (pending: neither waiting, uploading nor refused). */
  due(entry) {
    return entry.state === "pending" && entry.sentOn !== this.connection.socket.id;
  }

  /** The waiting files, uploaded one after the other; each one's message then goes in its turn (next). */
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
          if (entry.state === "waiting") await this.upload(entry);
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
      this.renderPending(id);
      this.next(id); // its message, once those written before it are stored
    } catch (error) {
      // The network went (the browser knows before the socket does): it waits for the connection too.
      if (error.code === "network_error" && (!this.connection.connected || !navigator.onLine)) this.outbox.wait(entry);
      else if (this.outbox.fail(entry.client_id, error.message, retryable(error.code, error.status), error.code)) {
        toast(error);
        // As a send the server could not take: again by itself, so that what was written after it goes too.
        if (retriesByItself(error.code, error.status)) this.retryLater(entry);
      }
      this.renderPending(id);
    }
  }

  /** The outbox's entry `clientId` goes again (its Retry, or by itself); nothing if it is gone meanwhile. */
  retry(clientId) {
    const retried = this.outbox.retry(clientId);
    if (!retried) return;
    if (retried.state === "uploading") {
      this.upload(retried);
    } else {
      this.renderPending(retried.conversation_id);
      this.next(retried.conversation_id);
    }
  }

  /** The outbox's entry `clientId` given up before it was stored (its Discard): what was written after it goes. */
  discard(clientId) {
    const entry = this.outbox.get(clientId);
    if (!entry) return; // stored or discarded meanwhile
    this.outbox.settle(clientId);
    this.renderPending(entry.conversation_id);
    this.next(entry.conversation_id);
  }
}
