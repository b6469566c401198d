// Typing indicators (docs/protocol.md `typing`). Out: while the user types in the open conversation,
// one `typing` every 2 s at most; `typing: false` when the box is emptied without sending. In: "Alice
// is typing…", "Alice and Bob are typing…", "several people are typing…" under the messages, each
// typist dropped after 5 s without renewal or when their message arrives; the same words stand for the
// conversation's preview in the sidebar (every conversation's, the open one's too: onChange). Nothing is
// stored.

import { $ } from "./dom.js";
import { t } from "../i18n.js";

const SEND_EVERY_MS = 2000;
const SHOWN_FOR_MS = 5000;

export class Typing {
  /** openId(): the open conversation's id; nameOf(conversationId, userId): a typist's name;
   *  onChange(conversationId): who types there changed (the sidebar's preview follows);
   *  isBlocked(userId): someone the user blocked (contacts.js), whose typing is not shown. */
  constructor({ me, connection, openId, nameOf, onChange = () => {}, isBlocked = () => false }) {
    this.me = me;
    this.isBlocked = isBlocked;
    this.onChange = onChange;
    this.connection = connection;
    this.openId = openId;
    this.nameOf = nameOf;
    this.element = $("#typing-indicator");
    this.input = $("#composer-input");
    this.typists = new Map(); // conversation id -> Map(user id -> expiry timer)
    this.sentAt = 0;
    this.sentTo = null; // the conversation we last said we were typing in
    this.input.addEventListener("input", () => this.typed());
    const socket = connection.socket;
    socket.on("typing", ({ conversation_id: id, user_id: userId, typing }) => {
      if (userId === this.me.id) return; // our own, from another tab
      // The server tells the whole conversation; their messages hide here, so does their typing.
      if (typing && this.isBlocked(userId)) return;
      if (typing) this.add(id, userId);
      else this.remove(id, userId);
    });
    socket.on("message:new", ({ message }) => {
      if (message.sender) this.remove(message.conversation_id, message.sender.id);
      if (message.sender?.id === this.me.id && message.conversation_id === this.sentTo) this.sent();
    });
  }

  typed() {
    const id = this.openId();
    if (!id || !this.connection.connected) return;
    const empty = !this.input.value.trim();
    if (empty) {
      if (this.sentTo === id) this.connection.emit("typing", { conversation_id: id, typing: false }, () => {});
      this.sent();
      return;
    }
    const now = Date.now();
    if (this.sentTo === id && now - this.sentAt < SEND_EVERY_MS) return;
    this.sentAt = now;
    this.sentTo = id;
    this.connection.emit("typing", { conversation_id: id, typing: true }, () => {});
  }

  /** Our message went out: the others clear us themselves, and the next keystroke tells again. */
  sent() {
    this.sentAt = 0;
    this.sentTo = null;
  }

  add(conversationId, userId) {
    const typists = this.typists.get(conversationId) || new Map();
    this.typists.set(conversationId, typists);
    clearTimeout(typists.get(userId));
    const known = typists.has(userId);
    typists.set(userId, setTimeout(() => this.remove(conversationId, userId), SHOWN_FOR_MS));
    this.render();
    if (!known) this.onChange(conversationId);
  }

  remove(conversationId, userId) {
    const typists = this.typists.get(conversationId);
    if (!typists?.has(userId)) return;
    clearTimeout(typists.get(userId));
    typists.delete(userId);
    if (!typists.size) this.typists.delete(conversationId);
    this.render();
    this.onChange(conversationId);
  }

  /** "Alice is typing…" and the like in a conversation, or "" when nobody is. */
  text(conversationId) {
    const names = [...(this.typists.get(conversationId)?.keys() || [])]
      .filter((userId) => !this.isBlocked(userId)) // blocked while they typed
      .map((userId) => this.nameOf(conversationId, userId));
    if (names.length === 1) return t("{name} is typing…", { name: names[0] });
    if (names.length === 2) return t("{first} and {second} are typing…", { first: names[0], second: names[1] });
    return names.length > 2 ? t("several people are typing…") : "";
  }

  render() {
    const text = this.text(this.openId());
    this.element.textContent = text;
    this.element.hidden = !text;
  }
}
