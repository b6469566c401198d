// The chat page's keyboard paths (issue 8). The shown messages are one Tab stop: Up/Down move
// between messages, Right/Left through one message's buttons and links, Esc back to the message;
// so Tab goes from the conversation's header through one message to the composer, never through
// every message's buttons. Up in an empty composer edits one's last message; Esc closes any open
// dialog, modal or not, at once even from a search box with text in it; Ctrl/Cmd+K opens the quick
// switcher (quick-switcher.js). A message drawn anew (edited, deleted, reacted to) keeps the focus that
// was on it, or on the dialog its Edit or Delete opened. F6 and Shift+F6 go from one of the page's
// regions to the next (the conversation list, the messages, the composer), as in Slack and Mattermost;
// the skip links at the top of the page (the first Tab stops) go to the composer and to the messages.

import { $ } from "./dom.js";
import { QuickSwitcher } from "./quick-switcher.js";

const MESSAGE = "li.message";
const CONTROLS = "button, a[href], input, select, textarea, [tabindex]";

// Laid out and not hidden (a run's later picture keeps its place, visibility: hidden: focus() skips it).
const shown = (element) => element.getClientRects().length > 0 && getComputedStyle(element).visibility !== "hidden";
// Nowhere: on the page's body, or still in a dialog just closed (the browser moves it to the body).
const focusLost = () => !document.activeElement || document.activeElement === document.body
  || Boolean(document.activeElement.closest("dialog:not([open])"));
const typing = (element) => element.matches("input, textarea, select, [contenteditable]");

/** The messages as one roving Tab stop (the WAI-ARIA "roving tabindex" pattern). */
class MessageKeys {
  constructor(lists) {
    this.lists = lists;
    this.current = null; // the message that holds the Tab stop: the last one focused, else the newest
    this.holding = false; // the focus is on `current`, or in a dialog opened from it
    this.queued = false;
    const observer = new MutationObserver(() => this.schedule());
    for (const list of lists) {
      observer.observe(list, { childList: true, subtree: true });
      list.addEventListener("keydown", (event) => this.key(event));
      list.addEventListener("focusin", (event) => this.focused(event));
      list.addEventListener("focusout", (event) => this.left(event));
    }
    document.addEventListener("focusin", (event) => {
      if (!event.target.closest(`${MESSAGE}, dialog`)) this.holding = false;
    });
    this.refresh();
  }

  items() {
    return this.lists.flatMap((list) => [...list.querySelectorAll(`:scope > ${MESSAGE}`)]);
  }

  schedule() {
    if (this.queued) return;
    this.queued = true;
    queueMicrotask(() => {
      this.queued = false;
      this.refresh();
    });
  }

  /** One message takes Tab; every control inside a message is reached with the arrow keys. */
  refresh() {
    const items = this.items();
    const redrawn = this.current && !this.current.isConnected
      ? items.find((item) => item.dataset.id && item.dataset.id === this.current.dataset.id) : null;
    if (redrawn) this.regain(redrawn);
    if (!items.includes(this.current)) this.current = items[items.length - 1] || null;
    for (const item of items) {
      item.tabIndex = item === this.current ? 0 : -1;
      for (const control of item.querySelectorAll(CONTROLS)) control.tabIndex = -1;
    }
  }

  /** `item` replaced the message that held the focus, which went to the page's body with it: back to
   *  the message, at once or when the dialog opened from it closes (the browser would return it to a
   *  button no longer on the page). */
  regain(item) {
    this.current = item;
    if (!this.holding) return;
    const dialog = document.querySelector("dialog[open]");
    const focus = () => {
      if (this.holding && this.current === item && item.isConnected) item.focus({ preventScroll: true });
    };
    if (dialog) dialog.addEventListener("close", focus, { once: true });
    else if (focusLost()) {
      item.tabIndex = 0;
      focus();
    }
  }

  /** Focus left a message for nothing (a click on the page): a redraw of it takes the focus nowhere. */
  left(event) {
    const from = event.target;
    if (event.relatedTarget) return;
    queueMicrotask(() => {
      if (from.isConnected && focusLost()) this.holding = false;
    });
  }

  focused(event) {
    const item = event.target.closest(MESSAGE);
    this.holding = true;
    if (!item || item === this.current) return;
    this.current = item;
    this.refresh();
  }

  key(event) {
    const item = event.target.closest(MESSAGE);
    if (!item || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (event.target !== item && typing(event.target)) return;
    const next = this.target(event.key, item, event.target);
    if (!next) return;
    event.preventDefault();
    event.stopPropagation(); // Esc back to the message must not close anything else
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  }

  target(key, item, from) {
    const items = this.items();
    const controls = [...item.querySelectorAll(CONTROLS)].filter(shown);
    const index = controls.indexOf(from);
    const onItem = from === item;
    switch (key) {
      case "ArrowUp": return items[items.indexOf(item) - 1] || null;
      case "ArrowDown": return items[items.indexOf(item) + 1] || null;
      case "Home": return onItem ? items[0] : null;
      case "End": return onItem ? items[items.length - 1] : null;
      case "ArrowRight": return onItem ? controls[0] || null : controls[index + 1] || null;
      case "ArrowLeft": return onItem ? controls[controls.length - 1] || null : controls[index - 1] || item;
      case "Escape": return onItem ? null : item;
      default: return null;
    }
  }
}

/** The page's regions in their order, each with where the focus goes in it (the first that is shown). */
class Regions {
  constructor(messages) {
    const conversations = () => [$("#conversation-list .conversation-button[aria-current='true']"),
      $("#conversation-list .conversation-button"), $("#conversation-filter")];
    this.regions = [
      { name: "conversations", box: $(".sidebar"), targets: conversations },
      { name: "messages", box: $("#message-scroller"),
        targets: () => [messages.current, ...messages.items().slice(-1)] },
      { name: "composer", box: $("#composer"), targets: () => [$("#composer-input")] },
    ];
    for (const link of document.querySelectorAll("a.skip-link[data-region]")) {
      link.addEventListener("click", (event) => {
        event.preventDefault();
        this.skipTo(link.dataset.region);
      });
    }
  }

  /** The focus target of each region the page shows now, in the page's order (`order`: its place among all). */
  shown() {
    return this.regions.map((region, order) => ({ ...region, order,
      target: region.targets().find((element) => element && shown(element)) })).filter((region) => region.target);
  }

  /** A skip link: its region, else the next one shown (a read-only conversation has no composer: its
   *  messages), else the first (no conversation open: the list of conversations). */
  skipTo(name) {
    const regions = this.shown();
    const wanted = this.regions.findIndex((region) => region.name === name);
    this.enter(regions.find((region) => region.order >= wanted) || regions[0]);
  }

  /** F6 (Shift+F6: backwards): the focus to the next region shown, round the page. From outside every region
   *  (the conversation's header, the page itself), the next region after the focus in the page's order. */
  cycle(backwards) {
    const regions = this.shown();
    if (!regions.length) return;
    const active = document.activeElement;
    let index = regions.findIndex((region) => region.box.contains(active));
    if (index === -1) {
      const after = regions.findIndex((region) => active && active !== document.body
        && Boolean(active.compareDocumentPosition(region.box) & Node.DOCUMENT_POSITION_FOLLOWING));
      index = backwards ? (after === -1 ? regions.length : after) : (after === -1 ? -1 : after - 1);
    }
    const next = regions[(index + (backwards ? -1 : 1) + regions.length) % regions.length];
    this.enter(next);
  }

  enter(region) {
    if (!region) return;
    region.target.focus();
    region.target.scrollIntoView?.({ block: "nearest" });
  }
}

export class Keyboard {
  constructor(app) {
    this.app = app;
    this.messages = new MessageKeys([$("#message-list"), $("#pending-list")]);
    this.regions = new Regions(this.messages);
    this.switcher = new QuickSwitcher({ store: app.store, onOpen: (id) => app.open(id) });
    this.input = $("#composer-input");
    this.input.addEventListener("keydown", (event) => this.composerKey(event));
    document.addEventListener("keydown", (event) => this.pageKey(event));
  }

  /** Up in an empty composer: edit one's newest message that can be edited, as Slack and Teams do. */
  composerKey(event) {
    if (event.key !== "ArrowUp" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.isComposing || this.input.value !== "") return;
    const edits = document.querySelectorAll("#message-list > li.message.own .edit-action");
    const edit = edits[edits.length - 1];
    if (!edit) return;
    event.preventDefault();
    edit.click();
  }

  pageKey(event) {
    if (event.key === "F6" && !event.altKey && !event.ctrlKey && !event.metaKey) {
      // An input method's text being composed keeps the key: Japanese IMEs turn it into hiragana with F6
      if (event.isComposing) return;
      if (document.querySelector("dialog:modal")) return; // a modal dialog keeps the focus until it closes
      event.preventDefault(); // the browser's own F6 goes to its address bar
      this.regions.cycle(event.shiftKey);
      return;
    }
    if (event.key.toLowerCase() === "k" && (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey) {
      event.preventDefault(); // the browser's own Ctrl+K (search the web) is not what a chat user means here
      this.switcher.open();
      return;
    }
    if (event.key === "Escape" && !event.defaultPrevented && !this.closeSearchDialog(event)) this.closeTopDialog(event);
  }

  /** Esc in a dialog's search box closes the dialog, as in any other of its fields: Chromium's own Esc
   *  there would only clear the text, and a second Esc close it. */
  closeSearchDialog(event) {
    const dialog = event.target.closest?.("dialog[open]");
    if (!dialog || !event.target.matches('input[type="search"]') || event.isComposing) return false;
    event.preventDefault();
    dialog.close();
    return true;
  }

  /** Modal dialogs close on Esc by themselves; one opened without showModal() is closed here. */
  closeTopDialog(event) {
    const open = [...document.querySelectorAll("dialog[open]")].filter((dialog) => !dialog.matches(":modal"));
    const top = open[open.length - 1];
    if (!top) return;
    event.preventDefault();
    top.close();
  }
}
