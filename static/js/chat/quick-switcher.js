// The quick switcher (Ctrl/Cmd+K, keyboard.js): type part of a conversation's name, Up/Down to
// choose, Enter to open it; Esc closes. A combobox with a listbox (WAI-ARIA), names as text only.

import { $, el } from "./dom.js";
import { conversationTitle } from "./sidebar.js";
import { t } from "../i18n.js";

const MAX_SHOWN = 12;

export class QuickSwitcher {
  constructor({ store, onOpen }) {
    this.store = store;
    this.onOpen = onOpen; // (conversation id) => show it
    this.dialog = $("#quick-switcher");
    this.input = $("#quick-switcher-input");
    this.list = $("#quick-switcher-results");
    this.matches = [];
    this.active = 0;
    this.input.addEventListener("input", () => this.render());
    this.input.addEventListener("keydown", (event) => this.key(event));
  }

  open() {
    if (this.dialog.open) return this.input.select();
    this.input.value = "";
    this.render();
    this.dialog.showModal();
    this.input.focus();
  }

  /** Conversations whose name (as the sidebar shows it) holds the typed text; those starting with it first. */
  render() {
    const needle = this.input.value.trim().toLocaleLowerCase();
    const titled = this.store.sorted().map((conversation) => {
      const shown = conversationTitle(conversation);
      return { conversation, shown, title: shown.toLocaleLowerCase() };
    });
    const found = titled.filter(({ title }) => title.includes(needle));
    found.sort((a, b) => Number(b.title.startsWith(needle)) - Number(a.title.startsWith(needle)));
    this.matches = found.slice(0, MAX_SHOWN);
    this.active = 0;
    this.list.replaceChildren(...this.matches.map(({ conversation, shown }, index) => el("li", {
      className: "quick-switcher-option",
      text: shown,
      attrs: { role: "option", id: `quick-switcher-option-${index}` },
      dataset: { conversationId: conversation.id },
      on: { click: () => this.choose(index) },
    })));
    if (!this.matches.length) {
      this.list.append(el("li", { className: "result-empty", text: t("No conversation matches."),
        attrs: { role: "option", "aria-disabled": "true" } }));
    }
    this.highlight();
  }

  highlight() {
    this.list.querySelectorAll(".quick-switcher-option").forEach((option, index) => {
      option.setAttribute("aria-selected", String(index === this.active));
      if (index === this.active) option.scrollIntoView({ block: "nearest" });
    });
    if (this.matches.length) this.input.setAttribute("aria-activedescendant", `quick-switcher-option-${this.active}`);
    else this.input.removeAttribute("aria-activedescendant");
  }

  key(event) {
    const count = this.matches.length;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!count) return;
      this.active = (this.active + (event.key === "ArrowDown" ? 1 : count - 1)) % count;
      this.highlight();
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (count) this.choose(this.active);
    }
  }

  choose(index) {
    const match = this.matches[index];
    this.dialog.close();
    if (match) this.onOpen(match.conversation.id);
  }
}
