// The composer's emoji picker: a search field, a row of categories and a grid of emoji, from
// emojibase's data (npm emojibase-data, trimmed and served from static/vendor/emoji by
// scripts/bootstrap, in the page's language), loaded the first time it opens. A choice goes in
// at the composer's caret. Keyboard: arrows move in the grid, Enter or Space inserts, Esc closes
// and gives the focus back to the text.

import { $, el } from "./dom.js";
import { locale, t } from "../i18n.js";

const COLUMNS = 8; // as static/css/messages.css lays out .emoji-grid
const MAX_RESULTS = 160;

/** The categories of emojibase's `group` numbers (2, skin tone components, is left out). */
function categories() {
  return [
    { group: 0, icon: "😀", name: t("Smileys and emotion") },
    { group: 1, icon: "👋", name: t("People and body") },
    { group: 3, icon: "🐻", name: t("Animals and nature") },
    { group: 4, icon: "🍔", name: t("Food and drink") },
    { group: 5, icon: "✈️", name: t("Travel and places") },
    { group: 6, icon: "⚽", name: t("Activities") },
    { group: 7, icon: "💡", name: t("Objects") },
    { group: 8, icon: "❤️", name: t("Symbols") },
    { group: 9, icon: "🏁", name: t("Flags") },
  ];
}

/** Put `text` where the caret is in `input` (replacing a selection), as typing would. */
function insertAtCaret(input, text) {
  const start = input.selectionStart ?? input.value.length;
  const end = input.selectionEnd ?? start;
  input.setRangeText(text, start, end, "end");
  input.dispatchEvent(new Event("input", { bubbles: true })); // the composer grows, drafts are kept
}

export class EmojiPicker {
  constructor({ input = $("#composer-input") } = {}) {
    this.input = input;
    this.button = $("#emoji-button");
    this.panel = $("#emoji-picker");
    this.search = $("#emoji-search");
    this.tabs = $("#emoji-groups");
    this.grid = $("#emoji-grid");
    this.status = $("#emoji-status");
    this.emojis = null; // [[emoji, name, group, keywords]] once loaded
    this.group = 0;
    this.categories = categories();
    this.button.addEventListener("click", () => (this.panel.hidden ? this.open() : this.close()));
    this.search.addEventListener("input", () => this.render());
    this.search.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        this.focusCell(0);
      } else if (event.key === "Enter") {
        event.preventDefault(); // the first match, as a search box's Enter does
        this.grid.querySelector(".emoji")?.click();
      }
    });
    this.grid.addEventListener("keydown", (event) => this.moveInGrid(event));
    this.panel.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      event.preventDefault();
      event.stopPropagation(); // Esc closes the picker only, not a reply or a dialog under it
      this.close({ focus: true });
    });
    // A click anywhere else closes it.
    document.addEventListener("pointerdown", (event) => {
      if (!this.panel.hidden && !this.panel.contains(event.target) && !this.button.contains(event.target)) this.close();
    });
    this.tabs.replaceChildren(...this.categories.map((category) => el("button", {
      className: "emoji-tab", text: category.icon,
      attrs: { type: "button", title: category.name, "aria-label": category.name, "aria-pressed": "false" },
      dataset: { group: category.group },
      on: { click: () => this.showGroup(category.group) },
    })));
  }

  async open() {
    this.panel.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    this.search.focus();
    if (!this.emojis) await this.load();
    this.render();
  }

  close({ focus = false } = {}) {
    if (this.panel.hidden) return;
    this.panel.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    if (focus) this.input.focus(); // the caret is where the last emoji went in
  }

  async load() {
    this.status.textContent = t("Loading emoji…");
    const language = locale.toLowerCase().startsWith("zh") ? "zh" : "en";
    try {
      const response = await fetch(`/static/vendor/emoji/${language}.json`, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      this.emojis = await response.json();
      this.status.textContent = "";
    } catch {
      this.status.textContent = t("The emoji could not be loaded.");
    }
  }

  showGroup(group) {
    this.group = group;
    this.search.value = "";
    this.render();
  }

  /** The emoji of the chosen category, or those whose name or keywords hold every searched word. */
  shown() {
    const words = this.search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) return this.emojis.filter((emoji) => emoji[2] === this.group);
    return this.emojis.filter(([, name, , keywords]) => {
      const text = `${name} ${keywords}`.toLowerCase();
      return words.every((word) => text.includes(word));
    }).slice(0, MAX_RESULTS);
  }

  render() {
    if (!this.emojis) return;
    const searching = Boolean(this.search.value.trim());
    for (const tab of this.tabs.children) {
      tab.setAttribute("aria-pressed", String(!searching && Number(tab.dataset.group) === this.group));
    }
    const shown = this.shown();
    this.status.textContent = shown.length ? "" : t("No emoji found.");
    this.grid.replaceChildren(...shown.map(([emoji, name], index) => el("button", {
      className: "emoji", text: emoji,
      attrs: { type: "button", title: name, "aria-label": name, tabindex: index === 0 ? "0" : "-1" },
      on: { click: () => insertAtCaret(this.input, emoji) },
    })));
    this.grid.scrollTop = 0;
  }

  focusCell(index) {
    const cells = this.grid.children;
    if (!cells.length) return;
    const target = cells[Math.max(0, Math.min(cells.length - 1, index))];
    for (const cell of cells) cell.tabIndex = cell === target ? 0 : -1; // one Tab stop: the last one visited
    target.focus();
  }

  moveInGrid(event) {
    const cells = [...this.grid.children];
    const index = cells.indexOf(document.activeElement);
    if (index < 0) return;
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS,
      Home: -index, End: cells.length - 1 - index };
    if (!(event.key in moves)) return;
    event.preventDefault();
    if (event.key === "ArrowUp" && index < COLUMNS) this.search.focus();
    else this.focusCell(index + moves[event.key]);
  }
}
