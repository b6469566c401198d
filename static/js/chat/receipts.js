// Delivery and read receipts (docs/protocol.md "Delivery and read receipts"): this page acks what it
// receives (conversation:delivered), keeps how far the other members of the open conversation have
// received and read, and draws the ticks of the user's own messages as WhatsApp does:
// ✓ stored, ✓✓ delivered to every other member, ✓✓ coloured once every other member has read it;
// in groups "Read by N", with the names on hover (title) or on a tap.

import { el } from "./dom.js";
import { t } from "../i18n.js";
import { displayName } from "./avatars.js";

const ACK_DELAY_MS = 500; // at most one delivered ack per conversation every half second

export class Receipts {
  constructor({ me, connection, store, onChange }) {
    this.me = me;
    this.connection = connection;
    this.store = store;
    this.onChange = onChange; // (conversation id): its ticks need drawing again
    this.members = new Map(); // conversation id -> Map(user id -> {user, delivered, read})
    this.acks = new Map(); // conversation id -> timer of its pending delivered ack
    this.pending = new Map(); // conversation id -> the highest seq received and not acked yet
    this.expanded = new Set(); // message ids whose "read by" names are shown (a tap)
  }

  bind(on) {
    on("conversation:receipt", (receipt) => this.applyReceipt(receipt));
    // The user changed their own read-receipts setting (here or elsewhere): "nobody" also hides the others'
    // read positions from them, and leaving it shows them again, so what is held is fetched anew.
    on("privacy:updated", () => {
      for (const conversationId of this.members.keys()) this.load(conversationId);
    });
  }

  /** Everything the server holds for one conversation (after opening it, and after every reconnect). */
  async load(conversationId) {
    if (!this.connection.connected) return;
    let answer;
    try {
      answer = await this.connection.request("conversation:receipts", { conversation_id: conversationId });
    } catch {
      return;
    }
    if (!answer?.ok) return;
    const members = new Map();
    for (const receipt of answer.receipts) {
      members.set(receipt.user_id, { user: receipt.user, delivered: receipt.last_delivered_seq,
        read: receipt.last_read_seq });
    }
    this.members.set(conversationId, members);
    this.onChange(conversationId);
  }

  forget(conversationId) {
    this.members.delete(conversationId);
  }

  applyReceipt({ conversation_id: conversationId, user_id: userId, last_delivered_seq: delivered,
    last_read_seq: read }) {
    const members = this.members.get(conversationId);
    if (!members) return; // not loaded: its receipts are fetched when it opens
    const known = members.get(userId) || { user: null, delivered: 0, read: null };
    members.set(userId, { ...known, delivered: Math.max(known.delivered, delivered),
      read: read === null ? null : Math.max(known.read || 0, read) });
    this.onChange(conversationId);
  }

  /** Messages of others arrived (live, by sync or in a list): ack them, once per half second. */
  received(conversationId, seq) {
    const conversation = this.store.get(conversationId);
    const membership = conversation?.membership;
    if (!membership || seq <= Math.max(membership.last_delivered_seq || 0, membership.last_read_seq || 0)) return;
    this.pending.set(conversationId, Math.max(this.pending.get(conversationId) || 0, seq));
    if (this.acks.has(conversationId)) return;
    this.acks.set(conversationId, setTimeout(() => this.sendAck(conversationId), ACK_DELAY_MS));
  }

  /** After the conversation list is fetched: everything listed has reached this device. */
  receivedListed() {
    for (const conversation of this.store.conversations.values()) {
      if (conversation.last_seq) this.received(conversation.id, conversation.last_seq);
    }
  }

  sendAck(conversationId) {
    this.acks.delete(conversationId);
    const seq = this.pending.get(conversationId);
    this.pending.delete(conversationId);
    if (!seq || !this.connection.connected) return; // the next connect acks the listed conversations
    this.connection.emit("conversation:delivered", { conversation_id: conversationId, seq }, (answer) => {
      const membership = this.store.get(conversationId)?.membership;
      if (answer?.ok && membership) {
        membership.last_delivered_seq = Math.max(membership.last_delivered_seq || 0, answer.last_delivered_seq);
      }
    });
  }

  /** The state of one of the user's own stored messages: "sent", "delivered" or "read", and who read it. */
  status(conversationId, message) {
    const members = [...(this.members.get(conversationId)?.values() || [])];
    const readers = members.filter((member) => member.read !== null && member.read >= message.seq);
    let state = "sent";
    if (members.length && readers.length === members.length) state = "read";
    else if (members.length && members.every((member) => Math.max(member.delivered, member.read || 0) >= message.seq)) {
      state = "delivered";
    }
    return { state, readers: readers.map((member) => member.user).filter(Boolean) };
  }

  /** The ticks (and a group's "read by N") of one own message: a span.receipt for its meta line. */
  ticks(conversation, message) {
    const { state, readers } = this.status(conversation.id, message);
    const labels = { sent: t("Sent"), delivered: t("Delivered"), read: t("Read") };
    const mark = el("span", { className: `ticks ticks-${state}`, text: state === "sent" ? "✓" : "✓✓",
      attrs: { role: "img", title: labels[state], "aria-label": labels[state] }, dataset: { state } });
    if (conversation.kind !== "group" || !readers.length) return el("span", { className: "receipt" }, [mark]);
    const names = readers.map(displayName);
    const readBy = el("button", { className: "link-button read-by", text: t("Read by {count}", { count: names.length }),
      attrs: { type: "button", title: names.join(", "), "aria-expanded": this.expanded.has(message.id) ? "true" : "false" },
      on: { click: () => this.toggle(conversation.id, message.id) } });
    const list = this.expanded.has(message.id) ? el("span", { className: "read-by-names", text: names.join(", ") }) : null;
    return el("span", { className: "receipt" }, [mark, readBy, list]);
  }

  toggle(conversationId, messageId) {
    if (this.expanded.has(messageId)) this.expanded.delete(messageId);
    else this.expanded.add(messageId);
    this.onChange(conversationId);
  }
}
