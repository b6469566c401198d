// The message pane: one <li> per stored message, in seq order, plus the pending ones below.

import { keepPlayer, renderAttachment } from "../attachments.js";
import { displayName, personAvatar, personOf } from "./avatars.js";
import { $, drawList, el, fullTime, morph } from "./dom.js";
import { blockedPlaceholder, fromBlocked } from "./contacts.js";
import { pendingElement } from "./pending.js";
import { waitingBehind } from "./sender.js";
import { clockTime, MessageGroups } from "./message-groups.js";
import { formattedBody, messageLine, removedText } from "./message-format.js";
import {
  bodyWithMentions, mentionsMe, quoteElement, reactionPicker, reactionsElement, unknownMentioned,
} from "./message-depth.js";
import { ImageViewer } from "./viewer.js";
import { t } from "../i18n.js";
import { noteElement } from "./system-notes.js";

const NEAR_BOTTOM_PX = 80;
const NEAR_TOP_PX = 120;

/** The first of the markers right above a message (the "New messages" divider, a day separator): a
 * message that goes in before it goes above those, next to the message before it. */
function markersAbove(item) {
  let top = item;
  while (top.previousElementSibling?.matches(".unread-divider, .day-separator")) top = top.previousElementSibling;
  return top;
}

export class ThreadView {
  constructor({ me, onNearTop, onNearBottom = () => {}, onLatest = null, onEdit, onDelete, onReport, onRetry,
    onDiscard, onProfile, isBlocked = () => false, receiptOf = null, onShown = () => false, depth = null }) {
    this.me = me;
    this.scroller = $("#message-scroller");
    this.list = $("#message-list");
    this.pendingList = $("#pending-list");
    // A message drawn again while the mouse is pressed on it waits for the release and its click: a click is a
    // press and a release on one element, and a fresh drawing would be another (its Reply or a reaction would do
    // nothing). A tap needs no wait: it clicks what is under the finger when it ends.
    this.pressed = null; // the message the mouse is pressed on
    this.held = new Set(); // ids of messages whose new drawing waits for the release
    this.list.addEventListener("pointerdown", (event) => {
      if (event.pointerType === "mouse") this.pressed = event.target.closest("li.message");
    });
    for (const type of ["pointerup", "pointercancel"]) document.addEventListener(type, () => this.released(), true);
    // Retry and Discard: one listener, so that an entry redrawn in place (renderPending) acts on what it shows;
    // onRetry and onDiscard take its client id (the outbox holds the entry).
    this.pendingList.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-pending-action]");
      if (!button) return;
      const clientId = button.closest(".message").dataset.clientId;
      if (button.dataset.pendingAction === "retry") this.callbacks.onRetry(clientId);
      else this.callbacks.onDiscard(clientId);
    });
    this.historyStatus = $("#history-status");
    this.jumpButton = $("#jump-latest");
    this.announcer = $("#message-announcer");
    this.newMessagesText = this.jumpButton.textContent; // its text while the newest messages are shown
    // A message's buttons act on it as it is now, which its drawing may not show yet (held while pressed, above).
    const latest = (message) => this.thread?.byId.get(message.id) ?? message;
    this.callbacks = { onEdit: (message) => onEdit(latest(message)), onDelete: (message) => onDelete(latest(message)),
      onReport: (message) => onReport(latest(message)), onRetry, onDiscard,
      onProfile: (sender, message) => onProfile(sender, latest(message)) };
    this.isBlocked = isBlocked; // (user id) -> their messages hide (contacts.js)
    this.receiptOf = receiptOf; // (conversation, own message) -> its ticks, a span.receipt (receipts.js)
    // The list was drawn again from scratch: unread.js puts its divider back (true: and scrolled to it).
    this.onShown = onShown;
    // Replies, mentions, reactions (message-depth.js): {onReply, onToggleReaction, onJump, nameOf,
    // onUnknownMentions}.
    this.depth = depth && { ...depth, onReply: (message) => depth.onReply(latest(message)),
      onToggleReaction: (message, ...reaction) => depth.onToggleReaction(latest(message), ...reaction) };
    this.revealed = new Set(); // ids of blocked people's messages shown on request
    this.thread = null;
    this.conversation = null;
    this.elements = new Map(); // message id -> <li>
    this.pinned = true; // the reader follows the newest message
    this.scroller.addEventListener("scroll", () => {
      // A detached window (a jump far back) is never the newest end: its bottom asks for newer pages.
      const detached = Boolean(this.thread?.detached);
      this.pinned = !detached && this.isNearBottom();
      if (this.scroller.scrollTop < NEAR_TOP_PX) onNearTop();
      if (detached && this.isNearBottom(NEAR_TOP_PX)) onNearBottom();
      if (this.pinned) this.jumpButton.hidden = true;
    });
    // Images load after their message is placed and push the list up: stay with the newest.
    this.scroller.addEventListener("load", () => this.pinned && this.scrollToBottom(), true);
    this.jumpButton.addEventListener("click", () => {
      if (this.thread?.detached && onLatest) onLatest(this.thread);
      else this.scrollToBottom();
    });
    this.viewer = new ImageViewer(this.list);
    this.groups = new MessageGroups(this.list); // day separators, runs of one sender
  }

  /** Show a conversation from scratch: at its newest end, or (`at`) where that message is. */
  show(conversation, thread, pending, { at = null } = {}) {
    this.conversation = conversation;
    this.thread = thread;
    this.elements.clear();
    this.announcer.textContent = "";
    this.list.replaceChildren(...thread.messages.map((message) => {
      const item = this.element(message);
      this.elements.set(message.id, item);
      return item;
    }));
    this.groups.arrange();
    this.renderPending(pending);
    this.renderHistoryStatus();
    this.renderDetached();
    if (!this.onShown() && at === null && !thread.detached) this.scrollToBottom();
  }

  /** While a window far back is shown: no own pending messages under it, and "Jump to latest". */
  renderDetached() {
    const detached = Boolean(this.thread?.detached);
    this.pendingList.hidden = detached;
    this.jumpButton.textContent = detached ? t("Jump to latest ↓") : this.newMessagesText;
    this.jumpButton.hidden = !detached;
    if (detached) this.pinned = false;
  }

  /** The mouse was released: once its click is done (dispatched in this task), the messages held are drawn. */
  released() {
    this.pressed = null;
    if (!this.held.size) return;
    setTimeout(() => {
      const messages = [...this.held].map((id) => this.thread?.byId.get(id)).filter(Boolean);
      this.held.clear();
      this.update(messages);
    });
  }

  /** Draw the ticks of the shown own messages again, in place (a receipt came): changed, not replaced (dom.js
   *  morph), so that a tap on "Read by N" spanning another reader's receipt still opens the names. */
  redrawReceipts() {
    if (!this.thread || !this.receiptOf) return;
    for (const [id, item] of this.elements) {
      const message = this.thread.byId.get(id);
      const old = item.querySelector(".message-meta .receipt");
      if (message && old) morph(old, this.receiptOf(this.conversation, message));
    }
  }

  /** Draw again, in place, the texts that mention people whose usernames were not known when they were
   * drawn (bodyWithMentions): the members have loaded or changed. */
  redrawMentions() {
    if (!this.thread || !this.depth) return;
    for (const [id, item] of this.elements) {
      const message = this.thread.byId.get(id);
      const old = item.querySelector(".message-body[data-mentions-unknown]");
      if (message && old) old.replaceWith(this.body(message));
    }
  }

  /** The ids of the people the drawn texts mention whose usernames the page does not know. */
  unknownMentions() {
    const ids = new Set();
    if (!this.thread || !this.depth) return ids;
    for (const [id, item] of this.elements) {
      const message = this.thread.byId.get(id);
      if (!message || !item.querySelector(".message-body[data-mentions-unknown]")) continue;
      for (const userId of unknownMentioned(message, this.me)) ids.add(userId);
    }
    return ids;
  }

  isShowing(thread) {
    return this.thread !== null && this.thread === thread;
  }

  clear() {
    this.announcer.textContent = "";
    this.thread = null;
    this.conversation = null;
    this.elements.clear();
    this.list.replaceChildren();
    this.pendingList.replaceChildren();
  }

  /** Put changed messages of the shown thread in place; keeps the reader where they were. */
  update(messages, { older = false, newer = false, follow = false } = {}) {
    if (!messages.length || !this.thread) return;
    const wasNearBottom = this.isNearBottom();
    // What the reader looks at stays put when older messages go in above it: the browser's own
    // scroll anchoring may already have moved the view (not at the very top), so measure it.
    const anchor = older ? this.list.querySelector(".message[data-seq]") : null;
    const anchorTop = anchor ? anchor.getBoundingClientRect().top : 0;
    let grewAtEnd = false;
    // Newest first: whatever follows a message is then already on the page to insert before.
    const newestFirst = [...messages].sort((first, second) => second.seq - first.seq);
    for (const message of newestFirst) {
      if (!this.thread.byId.has(message.id)) continue; // outside the loaded range
      const stored = this.thread.byId.get(message.id);
      const old = this.elements.get(stored.id);
      if (old && old === this.pressed) {
        this.held.add(stored.id);
        continue;
      }
      const fresh = this.element(stored);
      this.elements.set(stored.id, fresh);
      if (old) {
        const focusAfter = this.keepPicker(stored, old, fresh);
        keepPlayer(old, fresh);
        old.replaceWith(fresh);
        focusAfter?.focus();
        continue;
      }
      const index = this.thread.indexOfSeq(stored.seq);
      const next = this.thread.messages[index + 1];
      const nextElement = next ? this.elements.get(next.id) : null;
      if (nextElement && nextElement.isConnected) this.list.insertBefore(fresh, markersAbove(nextElement));
      else {
        this.list.append(fresh);
        grewAtEnd = true;
      }
    }
    this.groups.arrange();
    this.renderHistoryStatus();
    if (newer) {
      // Below a window: the reader stays put; it may have joined the newest messages.
      this.renderDetached();
      this.pinned = !this.thread.detached && this.isNearBottom();
    } else if (this.thread.detached) {
      // Nothing follows the newest end while a window far back is shown.
      if (older) this.keepInPlace(anchor, anchorTop);
    } else if (older) {
      // Older messages went in above: keep the same message under the reader's eyes.
      this.keepInPlace(anchor, anchorTop);
    } else if (follow || wasNearBottom) {
      this.scrollToBottom();
    } else if (grewAtEnd) {
      this.jumpButton.hidden = false;
    }
  }

  /** Say new messages of others to screen readers, once: who wrote each and what (the list itself is no
   *  live region, or opening a conversation or a page of history would read it all out). */
  announce(messages) {
    const lines = messages.filter((message) => message.sender && message.sender.id !== this.me.id
      && !message.system && !this.isBlocked(message.sender.id))
      .map((message) => `${displayName(personOf(message.sender))}: ${messageLine(message)}`);
    if (lines.length) this.announcer.textContent = lines.join("\n");
  }

  /** Scroll so that `anchor` is again `top` pixels down the screen. */
  keepInPlace(anchor, top) {
    if (anchor?.isConnected) this.scroller.scrollTop += anchor.getBoundingClientRect().top - top;
  }

  renderPending(entries) {
    const wasNearBottom = this.isNearBottom();
    const behind = waitingBehind(entries);
    // In place: an upload's progress redraws the list every frame, under a click on another's Retry (drawList).
    drawList(this.pendingList, entries.map((entry) => pendingElement(entry, behind.has(entry))),
      (item) => item.dataset.clientId);
    if ((wasNearBottom || entries.length) && !this.thread?.detached) this.scrollToBottom();
  }

  renderHistoryStatus() {
    const thread = this.thread;
    if (!thread) return;
    let text = "";
    if (!thread.loaded || thread.loading) text = t("Loading messages…");
    else if (!thread.hasOlder && thread.messages.length) text = t("This is the beginning of the conversation.");
    else if (!thread.hasOlder) text = t("No messages yet. Say hello!");
    this.historyStatus.textContent = text;
    this.historyStatus.dataset.state = thread.hasOlder ? "more" : "complete";
  }

  isNearBottom(within = NEAR_BOTTOM_PX) {
    const { scrollHeight, scrollTop, clientHeight } = this.scroller;
    return scrollHeight - scrollTop - clientHeight < within;
  }

  /** True when the list does not fill the pane, so no scroll can ask for older messages. */
  hasRoomAbove() {
    return this.scroller.scrollHeight <= this.scroller.clientHeight + NEAR_TOP_PX;
  }

  /** True when a window's messages do not fill the pane below, so no scroll can ask for newer ones. */
  hasRoomBelow() {
    return this.isNearBottom(NEAR_TOP_PX);
  }

  scrollToBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.pinned = true;
    this.jumpButton.hidden = true;
  }

  element(message) {
    if (message.system && !message.removed) return noteElement(message); // "Alice added Bob": system-notes.js
    if (fromBlocked(message, this.isBlocked) && !this.revealed.has(message.id)) {
      // A blocked person's messages: a placeholder to expand in groups, nothing in a direct chat.
      if (this.conversation?.kind === "group") return blockedPlaceholder(message, () => this.reveal(message));
      return el("li", { className: "message blocked-hidden", attrs: { hidden: true }, dataset: { id: message.id } });
    }
    const own = message.sender && message.sender.id === this.me.id;
    const classes = ["message"];
    if (own) classes.push("own");
    if (message.kind === "system") classes.push("system");
    if (message.removed) classes.push("removed");
    const sender = personOf(message.sender); // the newest name and picture (avatars.js)
    const showProfile = () => this.callbacks.onProfile(sender, message);
    const meta = el("div", { className: "message-meta" }, [
      // One's own name is not repeated on one's bubbles; screen readers still hear whose they are.
      own ? el("span", { className: "message-sender visually-hidden", text: t("You") }) : null,
      own ? null : sender
        ? el("button", { className: "message-sender clickable", text: displayName(sender),
          attrs: { type: "button" }, dataset: { nameUser: sender.id }, on: { click: showProfile } })
        : el("span", { className: "message-sender", text: "Switchboard" }),
      el("time", { className: "message-time", text: clockTime(message.created_at),
        attrs: { datetime: message.created_at, title: fullTime(message.created_at) } }),
      message.edited_at && !message.removed
        ? el("span", { className: "message-edited", text: t("edited"), attrs: { title: fullTime(message.edited_at) } })
        : null,
    ]);
    if (own && !message.removed && this.receiptOf) meta.append(this.receiptOf(this.conversation, message));
    const body = this.body(message);
    const quote = this.depth && message.reply_to ? quoteElement(message.reply_to, this.depth.onJump) : null;
    const reactions = this.depth && !message.removed
      ? reactionsElement(message, this.me, { onToggle: this.depth.onToggleReaction,
        nameOf: (userId) => this.depth.nameOf(message.conversation_id, userId) }) : null;
    const bubble = el("div", { className: "bubble" },
      [meta, quote, message.removed ? null : renderAttachment(message), body, reactions]);
    if (mentionsMe(message, this.me)) classes.push("mentions-me");
    // Own messages can be edited and deleted; other people's (not service notices) reported.
    if (!message.removed && message.kind !== "system" && message.sender) bubble.append(this.actions(message, own));
    // In groups others' messages show their picture, as in WhatsApp and Telegram; a click opens their card.
    const avatar = sender && !own && this.conversation?.kind === "group"
      ? personAvatar(sender, { className: "avatar message-avatar", onClick: showProfile }) : null;
    return el("li", { className: classes.join(" "),
      dataset: { id: message.id, seq: message.seq, revision: message.revision, createdAt: message.created_at,
        sender: message.sender?.id ?? "" } }, [avatar, bubble]);
  }

  /** A message's text, formatted, its mentions marked; or what a removed one reads as. */
  body(message) {
    if (message.removed) return el("div", { className: "message-body removed-note", text: removedText(message) });
    const body = this.depth ? bodyWithMentions(message, this.me) : formattedBody(message.body);
    if (!message.body) body.classList.add("empty");
    if (body.dataset.mentionsUnknown) this.depth.onUnknownMentions?.(unknownMentioned(message, this.me));
    return body;
  }

  /** Reply, and React (which opens a row of quick reactions under the message). */
  depthActions(message) {
    const react = el("button", { className: "link-button react-action", text: t("React"),
      attrs: { type: "button", "aria-label": t("React to message"), "aria-expanded": "false" } });
    react.addEventListener("click", () => {
      const open = react.closest(".bubble").querySelector(".reaction-picker");
      if (open) this.closePicker(react, open);
      else this.openPicker(message, react).querySelector("button").focus();
    });
    return [el("button", { className: "link-button", text: t("Reply"),
      attrs: { type: "button", "aria-label": t("Reply to message") },
      on: { click: () => this.depth.onReply(message) } }), react];
  }

  /** React's row of quick reactions, opened under the message (the caller moves the focus into it): a menu, Right
   *  and Left along it (keyboard.js); Esc, or a reaction chosen, closes it back onto React. */
  openPicker(message, react) {
    const picker = reactionPicker(message, this.me, (...reaction) => {
      this.closePicker(react, picker);
      react.focus();
      this.depth.onToggleReaction(...reaction);
    });
    picker.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      event.stopPropagation();
      this.closePicker(react, picker);
      react.focus();
    });
    react.closest(".bubble").append(picker);
    react.setAttribute("aria-expanded", "true");
    return picker;
  }

  closePicker(react, picker) {
    picker.remove();
    react.setAttribute("aria-expanded", "false");
  }

  /** A message drawn again (another's reaction, an edit) keeps its open row of reactions, as Slack's picker stays
   *  open: `shown` is its drawing on the page, `fresh` the new one of `message`, not yet shown. Returns the item
   *  to give the focus to once `fresh` is shown (the one that had it), or null. */
  keepPicker(message, shown, fresh) {
    const open = shown.querySelector(".reaction-picker");
    const react = fresh.querySelector(".react-action");
    if (!open || !react) return null; // none open, or nothing to react to any more (deleted; no depth)
    const picker = this.openPicker(message, react);
    const focusAt = [...open.querySelectorAll("button")].indexOf(document.activeElement);
    return focusAt >= 0 ? picker.querySelectorAll("button")[focusAt] : null;
  }

  /** Scroll a shown message into view and flash it; false when it is not on the page. */
  showMessage(messageId) {
    const item = this.elements.get(messageId);
    if (!item || !item.isConnected) return false;
    item.scrollIntoView({ block: "center" });
    // Now, not at the scroll event (a frame later): an image below that finishes loading meanwhile
    // would otherwise find the reader still following the newest and take them back there.
    this.pinned = !this.thread?.detached && this.isNearBottom();
    item.classList.add("flash");
    setTimeout(() => item.classList.remove("flash"), 1600);
    return true;
  }

  reveal(message) {
    this.revealed.add(message.id);
    this.update([message]);
  }

  actions(message, own) {
    const depth = this.depth ? this.depthActions(message) : [];
    if (!own) {
      return el("div", { className: "message-actions" }, [
        ...depth,
        el("button", { className: "link-button", text: t("Report"),
          attrs: { type: "button", "aria-label": t("Report message") },
          on: { click: () => this.callbacks.onReport(message) } }),
      ]);
    }
    return el("div", { className: "message-actions" }, [
      ...depth,
      el("button", { className: "link-button edit-action", text: t("Edit"), attrs: { type: "button", "aria-label": t("Edit message") },
        on: { click: () => this.callbacks.onEdit(message) } }),
      el("button", { className: "link-button", text: t("Delete"),
        attrs: { type: "button", "aria-label": t("Delete message") },
        on: { click: () => this.callbacks.onDelete(message) } }),
    ]);
  }
}
