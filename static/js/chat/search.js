// Search in the chat (docs/protocol.md "Search in the chat"): a box in the sidebar, results with the
// matched terms marked (built as text nodes and <mark> elements, never HTML), a conversation filter,
// a date range, "More results" (keyset paging by before_id), and a click that opens the conversation
// at the message.

import { api } from "./api.js";
import { $, debounce, el, messageTime, toast } from "./dom.js";
import { t } from "../i18n.js";
import { displayName } from "./avatars.js";
import { conversationTitle } from "./sidebar.js";
import { blockedText, fromBlocked } from "./contacts.js";

const PAGE = 20;

/** `body` as nodes: the parts that match a term (ASCII case ignored, as the server does) in <mark>. */
export function highlighted(body, terms) {
  const lower = body.toLowerCase();
  const needles = terms.map((term) => term.toLowerCase()).filter(Boolean);
  const nodes = [];
  let at = 0;
  while (at < body.length) {
    let next = -1;
    let length = 0;
    for (const needle of needles) {
      const found = lower.indexOf(needle, at);
      if (found !== -1 && (next === -1 || found < next || (found === next && needle.length > length))) {
        next = found;
        length = needle.length;
      }
    }
    if (next === -1) break;
    if (next > at) nodes.push(document.createTextNode(body.slice(at, next)));
    nodes.push(el("mark", { text: body.slice(next, next + length) }));
    at = next + length;
  }
  if (at < body.length) nodes.push(document.createTextNode(body.slice(at)));
  return nodes;
}

/** Whether `body` holds every term, case ignored: the server's match (actions/search.py). */
export function matchesEvery(body, terms) {
  const lower = body.toLowerCase();
  return terms.every((term) => lower.includes(term.toLowerCase()));
}

export class MessageSearch {
  constructor({ store, onOpenAt, isBlocked = () => false }) {
    this.store = store;
    this.onOpenAt = onOpenAt; // (conversationId, messageId)
    this.isBlocked = isBlocked; // (userId): their results show as the thread shows their messages, a placeholder
    this.shown = new Map(); // message id -> the message a result row shows (redrawn when blocks change)
    this.query = null;
    this.lastId = null;
    this.build();
  }

  build() {
    this.input = el("input", { attrs: { type: "search", id: "message-search", autocomplete: "off",
      placeholder: t("Search messages"), "aria-label": t("Search messages") } });
    this.scope = el("select", { attrs: { id: "message-search-scope", "aria-label": t("Search in") } });
    this.since = el("input", { attrs: { type: "date", id: "message-search-since", "aria-label": t("From") } });
    this.until = el("input", { attrs: { type: "date", id: "message-search-until", "aria-label": t("Until") } });
    this.results = el("ol", { className: "search-results", attrs: { id: "message-search-results" } });
    this.status = el("p", { className: "sidebar-empty", attrs: { id: "message-search-status", role: "status" } });
    this.more = el("button", { className: "button subtle small", text: t("More results"),
      attrs: { type: "button", id: "message-search-more", hidden: true }, on: { click: () => this.page() } });
    this.filters = el("div", { className: "search-filters", attrs: { hidden: true } },
      [this.scope, this.since, this.until]);
    this.panel = el("section", { className: "message-search", attrs: { "aria-label": t("Search messages") } },
      [this.input, this.filters, this.status, this.results, this.more]);
    $(".sidebar-filter").after(this.panel);
    const run = debounce(() => this.start(), 300);
    this.input.addEventListener("input", run);
    this.input.addEventListener("focus", () => this.fillScopes());
    for (const control of [this.scope, this.since, this.until]) control.addEventListener("change", () => this.start());
  }

  fillScopes() {
    const chosen = this.scope.value;
    this.scope.replaceChildren(el("option", { text: t("All conversations"), attrs: { value: "" } }),
      ...this.store.sorted().map((conversation) => el("option", { text: conversationTitle(conversation),
        attrs: { value: String(conversation.id) } })));
    this.scope.value = chosen;
  }

  params(beforeId) {
    const params = new URLSearchParams({ q: this.query, limit: String(PAGE) });
    if (this.scope.value) params.set("conversation_id", this.scope.value);
    // The days are the user's: from the first one's local midnight to the end of the last one.
    if (this.since.value) params.set("since", localMidnight(this.since.value, 0));
    if (this.until.value) params.set("until", localMidnight(this.until.value, 1));
    if (beforeId) params.set("before_id", String(beforeId));
    return params;
  }

  start() {
    const query = this.input.value.trim();
    this.filters.hidden = !query;
    this.results.replaceChildren();
    this.shown.clear();
    this.more.hidden = true;
    this.status.textContent = "";
    this.query = query || null;
    this.lastId = null;
    this.asking = null;
    if (this.query) this.page();
  }

  async page() {
    // Only the newest request's answer lands: a newer search, filter or second click on More results
    // (same cursor) meanwhile would add its results again.
    const asking = {};
    this.asking = asking;
    let answer;
    try {
      answer = await api("GET", "/search/messages?" + this.params(this.lastId).toString());
    } catch (error) {
      if (this.asking === asking) toast(error);
      return;
    }
    if (this.asking !== asking) return;
    this.asking = null;
    this.terms = answer.terms;
    for (const message of answer.messages) this.results.append(this.row(message, answer.terms));
    this.lastId = answer.messages.length ? answer.messages[answer.messages.length - 1].id : this.lastId;
    this.more.hidden = !answer.has_more;
    this.status.textContent = this.results.children.length ? "" : t("No messages found.");
  }

  /**
   * A message changed (live, an ack, a sync): a result showing it follows. Removed (deleted by its
   * author, hidden by an operator), or edited so that a term of the search is no longer in it: its row
   * goes, as the server no longer finds it (and the removed text does not stay readable here); edited
   * and still matching: the row shows the new text.
   */
  noteChanged(message) {
    const row = [...this.results.children].find((item) => item.dataset.messageId === String(message.id));
    if (!row || Number(row.dataset.revision) >= (message.revision || 0)) return;
    // The keyboard on it stays in the results (it would fall to the page's body with the row).
    const focused = row.contains(document.activeElement);
    if (!message.removed && matchesEvery(message.body || "", this.terms || [])) {
      const redrawn = this.row(message, this.terms || []);
      row.replaceWith(redrawn);
      if (focused) redrawn.querySelector("button").focus();
      return;
    }
    const neighbour = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    this.shown.delete(message.id);
    if (focused) (neighbour?.querySelector("button") || this.input)?.focus();
    if (!this.results.children.length && this.more.hidden) this.status.textContent = t("No messages found.");
  }

  /** Someone was blocked or unblocked: the results of theirs show as placeholders, or their text again. */
  blocksChanged() {
    for (const row of [...this.results.children]) {
      const message = this.shown.get(Number(row.dataset.messageId));
      if (!message) continue;
      const focused = row.contains(document.activeElement);
      const redrawn = this.row(message, this.terms || []);
      row.replaceWith(redrawn);
      if (focused) redrawn.querySelector("button").focus();
    }
  }

  row(message, terms) {
    this.shown.set(message.id, message);
    const blocked = fromBlocked(message, this.isBlocked);
    const conversation = this.store.get(message.conversation_id);
    const who = displayName(message.sender);
    // A list item holding a button (an item that is itself role=button is no list item any more).
    return el("li", { className: "search-result", dataset: { messageId: message.id, revision: message.revision } }, [
      el("button", { className: "search-result-button", attrs: { type: "button" },
        on: { click: () => this.onOpenAt(message.conversation_id, message.id) } }, [
        el("span", { className: "search-result-head" }, [
          el("strong", { text: conversation ? conversationTitle(conversation) : "" }),
          el("span", { className: "muted", text: messageTime(message.created_at) }),
        ]),
        el("span", { className: "search-result-body" }, [
          who ? el("span", { className: "muted", text: who + ": " }) : null,
          ...(blocked ? [el("span", { className: "removed-note", text: blockedText() })]
            : highlighted(message.body, terms)),
        ]),
      ]),
    ]);
  }
}

function localMidnight(isoDate, addDays) {
  const [year, month, day] = isoDate.split("-").map(Number);
  return new Date(year, month - 1, day + addDays).toISOString();
}
