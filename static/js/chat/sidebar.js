// The conversation list: newest activity first, with preview, time and unread badge.

import { $, drawList, el, initial, morph, shortTime } from "./dom.js";
import { displayName, groupAvatar, personAvatar, personOf } from "./avatars.js";
import { t } from "../i18n.js";
import { messageLine } from "./message-format.js";
import { blockedText, fromBlocked } from "./contacts.js";

/** The name a conversation goes by on the page (its list entry, its header, the quick switcher): a direct
 *  chat's other person's newest name (user:updated, avatars.js), else its title; a direct chat archived with
 *  nobody else in it is one whose other account was deleted (as WhatsApp's "Deleted account"). */
export function conversationTitle(conversation) {
  const peer = personOf(conversation.peer);
  if (peer) return displayName(peer);
  if (conversation.title) return conversation.title;
  if (conversation.kind === "group") return t("Unnamed group");
  return conversation.archived ? t("Deleted account") : t("Direct chat");
}

function previewText(conversation, me, isBlocked = () => false) {
  const message = conversation.last_message;
  if (!message) return (conversation.kind === "group" && conversation.description) || t("No messages yet");
  if (fromBlocked(message, isBlocked)) return blockedText();
  const note = message.system && !message.removed; // a membership note: no sender to name
  const text = messageLine(message); // as the message reads: no ** or ` (message-format.js)
  if (note || message.removed) return text;
  if (message.sender && message.sender.id === me.id) return t("You: {text}", { text });
  if (conversation.kind === "group" && message.sender) {
    return `${displayName(message.sender)}: ${text}`;
  }
  return text;
}

/** A group's picture, a direct chat's other person's, or an initial (the service's notices). */
function conversationAvatar(conversation, peer, title) {
  if (conversation.kind === "group" && conversation.avatar_url) return groupAvatar(conversation);
  if (peer) return personAvatar(peer);
  return el("span", { className: `avatar ${conversation.kind}`, text: conversation.kind === "group" ? "#" : initial(title),
    attrs: { "aria-hidden": "true" } });
}

export class Sidebar {
  constructor({ store, onOpen, decorate, isBlocked = () => false, typingIn = () => "" }) {
    this.store = store;
    this.typingIn = typingIn; // (conversation id): "Alice is typing…" or "" (typing.js), shown for the preview
    this.onOpen = onOpen;
    this.isBlocked = isBlocked; // (user id): their last message is not previewed (contacts.js)
    this.decorate = decorate; // (item, conversation): adds to an item, e.g. a presence dot (presence-view.js)
    this.list = $("#conversation-list");
    this.empty = $("#conversation-empty");
    this.emptyText = this.empty.textContent; // "No conversations yet…", from the page
    this.filterInput = $("#conversation-filter");
    this.activeId = null;
    this.filterInput.addEventListener("input", () => this.render());
  }

  setActive(conversationId) {
    this.activeId = conversationId;
    this.render();
  }

  render() {
    const needle = this.filterInput.value.trim().toLowerCase();
    const conversations = this.store.sorted()
      .filter((conversation) => !needle || conversationTitle(conversation).toLowerCase().includes(needle));
    // An entry moved to its new place loses the keyboard (the browser blurs what leaves the page): given back.
    const focused = this.list.contains(document.activeElement)
      ? document.activeElement.closest(".conversation")?.dataset.conversationId : null;
    drawList(this.list, conversations.map((conversation) => this.item(conversation)),
      (entry) => entry.dataset.conversationId);
    if (focused) this.list.querySelector(`.conversation[data-conversation-id="${focused}"] button`)?.focus();
    // Shown when nothing is listed: no conversations yet, or none matches the filter.
    const filtered = !conversations.length && this.store.conversations.size > 0;
    this.empty.hidden = conversations.length > 0;
    this.empty.textContent = filtered ? t("No conversations match “{filter}”.", { filter: this.filterInput.value.trim() })
      : this.emptyText;
    const unread = [...this.store.conversations.values()].reduce((total, c) => total + (c.unread_count || 0), 0);
    document.title = unread ? `(${unread}) Switchboard` : "Switchboard"; // the product name is not translated
  }

  /** The newest message, or who is typing there now. */
  preview(conversation) {
    const typing = this.typingIn(conversation.id);
    return el("span", { className: typing ? "conversation-preview typing" : "conversation-preview",
      text: typing || previewText(conversation, this.store.me, this.isBlocked) });
  }

  /** Someone started or stopped typing in a conversation: its preview only, the list stays as it is. */
  typingChanged(conversationId) {
    const conversation = this.store.get(conversationId);
    const shown = this.list.querySelector(`.conversation[data-conversation-id="${conversationId}"] .conversation-preview`);
    if (conversation && shown) morph(shown, this.preview(conversation));
  }

  item(conversation) {
    const unread = conversation.unread_count || 0;
    const peer = personOf(conversation.peer); // a direct chat's other person: their newest name and picture
    const title = conversationTitle(conversation);
    const button = el("button", {
      className: "conversation-button",
      attrs: { type: "button", "aria-current": conversation.id === this.activeId ? "true" : null },
      on: { click: () => this.onOpen(conversation.id) },
    }, [
      conversationAvatar(conversation, peer, title),
      el("span", { className: "conversation-text" }, [
        el("span", { className: "conversation-top" }, [
          el("span", { className: "conversation-title", text: title }),
          el("span", { className: "conversation-time",
            text: shortTime(conversation.last_message?.created_at || conversation.last_message_at) }),
        ]),
        el("span", { className: "conversation-bottom" }, [
          this.preview(conversation),
          conversation.unread_mentions ? el("span", { className: "mention-badge", text: "@",
            attrs: { "aria-label": t("You were mentioned"), title: t("You were mentioned") } }) : null,
          unread ? el("span", { className: "unread-badge", text: unread > 99 ? "99+" : unread,
            attrs: { "aria-label": t("{count} unread", { count: unread }) } }) : null,
        ]),
      ]),
    ]);
    const item = el("li", {
      className: `conversation${conversation.id === this.activeId ? " active" : ""}${unread ? " has-unread" : ""}`,
      dataset: { conversationId: conversation.id, kind: conversation.kind },
    }, [button]);
    this.decorate?.(item, conversation);
    return item;
  }
}
