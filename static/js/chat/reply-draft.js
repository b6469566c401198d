// The message being answered, shown above the composer until it is sent or cancelled (Esc).

import { $, el } from "./dom.js";
import { t } from "../i18n.js";

export class ReplyDraft {
  constructor({ input }) {
    this.bar = $("#reply-bar");
    this.input = input;
    this.target = null; // {conversationId, message}
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.target) this.clear();
    });
  }

  start(conversationId, message) {
    this.target = { conversationId, message };
    const author = message.sender ? message.sender.display_name || message.sender.username : "";
    this.bar.replaceChildren(
      el("span", { className: "reply-bar-text" }, [
        el("strong", { text: t("Replying to {name}", { name: author }) }),
        el("span", { className: "reply-excerpt", text: message.body || message.attachment?.filename || "" }),
      ]),
      el("button", { className: "link-button", text: t("Cancel"), attrs: { type: "button", id: "reply-cancel" },
        on: { click: () => this.clear() } }),
    );
    this.bar.hidden = false;
    this.input.focus();
  }

  /** The message id to answer in this conversation, or null. */
  replyTo(conversationId) {
    return this.target && this.target.conversationId === conversationId ? this.target.message.id : null;
  }

  clear() {
    this.target = null;
    this.bar.hidden = true;
    this.bar.replaceChildren();
  }
}
