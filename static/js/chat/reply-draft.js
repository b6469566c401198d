// The message being answered, shown above the composer until it is sent or cancelled (Esc).
// Kept with the conversation's draft (drafts.js): it comes back when the conversation is opened again.

import { $, el } from "./dom.js";
import { t } from "../i18n.js";
import { displayName } from "./avatars.js";
import { excerpt } from "./message-format.js";

export class ReplyDraft {
  constructor({ input, drafts }) {
    this.bar = $("#reply-bar");
    this.input = input;
    this.drafts = drafts;
    this.target = null; // {conversationId, message}
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.target) this.clear();
    });
  }

  start(conversationId, message, { restored = false } = {}) {
    this.target = { conversationId, message };
    if (!restored) this.drafts?.saveReply(conversationId, message);
    const author = displayName(message.sender);
    this.bar.replaceChildren(
      el("span", { className: "reply-bar-text" }, [
        el("strong", { text: t("Replying to {name}", { name: author }) }),
        el("span", { className: "reply-excerpt", text: excerpt(message) }),
      ]),
      el("button", { className: "link-button", text: t("Cancel"), attrs: { type: "button", id: "reply-cancel" },
        on: { click: () => this.clear() } }),
    );
    this.bar.hidden = false;
    if (!restored) this.input.focus();
  }

  /**
   * A message changed (live, an ack, a sync): if it is the one being answered, here or in a kept draft,
   * the reply follows. Removed: the reply is dropped (sending it would be refused `message_removed`, and
   * the deleted text must not stay in the bar nor on disk); edited: the bar and the draft show the new text.
   */
  follow(message) {
    const conversationId = message.conversation_id;
    const shown = this.target?.conversationId === conversationId && this.target.message.id === message.id;
    const kept = this.drafts?.get(conversationId).reply;
    if (!shown && kept?.id !== message.id) return;
    if (shown && (this.target.message.revision || 0) >= (message.revision || 0)) return;
    // The keyboard on the bar (its Cancel) stays there, or goes to the composer with the bar.
    const focused = shown && this.bar.contains(document.activeElement);
    if (message.removed) {
      if (shown) this.clear();
      else this.drafts.saveReply(conversationId, null);
      if (focused) this.input.focus();
      return;
    }
    this.drafts?.saveReply(conversationId, message);
    if (shown) this.start(conversationId, message, { restored: true });
    if (focused) $("#reply-cancel")?.focus();
  }

  /** The conversation opened: its own reply draft, if it kept one. */
  show(conversationId) {
    if (this.target?.conversationId === conversationId) return;
    this.hide();
    const reply = conversationId ? this.drafts?.get(conversationId).reply : null;
    if (reply) this.start(conversationId, reply, { restored: true });
  }

  /** The message id to answer in this conversation, or null. */
  replyTo(conversationId) {
    return this.target && this.target.conversationId === conversationId ? this.target.message.id : null;
  }

  /** Cancelled or sent: forgotten, here and in the draft. */
  clear() {
    if (this.target) this.drafts?.saveReply(this.target.conversationId, null);
    this.hide();
  }

  hide() {
    this.target = null;
    this.bar.hidden = true;
    this.bar.replaceChildren();
  }
}
