// @mention autocomplete in the composer: typing "@" and the start of a name lists the members
// of the open conversation that match; a click, Enter or Tab puts "@username " in the text. Not in code
// (`inline`, fenced blocks, message-format.js endsInCode) nor in a link (endsInLink): they mention nobody.

import { $, el } from "./dom.js";
import { t } from "../i18n.js";
import { displayName } from "./avatars.js";
import { endsInCode, endsInLink } from "./message-format.js";

// Where the server reads a mention (message-depth.js MENTION): not after a letter of any script.
const PARTIAL = /(^|[^\p{L}\p{N}_.@/-])@([A-Za-z0-9_.-]{0,32})$/u;
const MAX_SHOWN = 8;

export class MentionComplete {
  constructor({ input, membersOf, canMentionAll }) {
    this.input = input;
    this.membersOf = membersOf; // () -> members of the open conversation (the reader's excluded here)
    this.canMentionAll = canMentionAll; // () -> true in a group the reader manages
    this.list = $("#mention-list");
    this.choices = [];
    this.active = 0;
    this.dismissed = false; // Escape closed the list: it stays closed until the text changes
    input.addEventListener("input", () => {
      this.dismissed = false;
      this.update();
    });
    input.addEventListener("blur", () => setTimeout(() => this.close(), 150));
    // Capture: before the composer's own Enter (send).
    input.addEventListener("keydown", (event) => this.key(event), true);
  }

  /** The open conversation's members were loaded or changed: a name being written is matched again (typed
   * before the members came, or someone joined or left), unless the reader closed the list. */
  membersChanged() {
    if (document.activeElement === this.input && !this.dismissed) this.update({ keepActive: true });
  }

  /** Match the name before the caret; `keepActive`: the highlighted choice stays if it is still listed. */
  update({ keepActive = false } = {}) {
    const highlighted = keepActive ? this.choices[this.active]?.username : undefined;
    const before = this.input.value.slice(0, this.input.selectionStart);
    const match = before.match(PARTIAL);
    // In code, or what will be once its backticks close, or in a link, a name mentions nobody: no
    // suggestions (as Slack).
    if (!match || endsInCode(before) || endsInLink(before)) return this.close();
    const needle = match[2].toLowerCase();
    const people = this.membersOf().filter((member) => member.username.startsWith(needle)
      || (member.display_name || "").toLowerCase().startsWith(needle));
    const everyone = this.canMentionAll() && "all".startsWith(needle)
      ? [{ username: "all", display_name: t("Everyone in this group") }] : [];
    this.choices = [...everyone, ...people].slice(0, MAX_SHOWN);
    if (!this.choices.length) return this.close();
    this.active = Math.max(0, this.choices.findIndex((choice) => choice.username === highlighted));
    this.render();
  }

  render() {
    this.list.replaceChildren(...this.choices.map((member, index) => el("li", {
      className: `mention-choice${index === this.active ? " active" : ""}`,
      attrs: { role: "option", "aria-selected": index === this.active ? "true" : "false" },
      dataset: { username: member.username },
      on: { mousedown: (event) => { event.preventDefault(); this.choose(member); } },
    }, [el("strong", { text: displayName(member) }),
      el("span", { className: "mention-username", text: "@" + member.username })])));
    this.list.hidden = false;
  }

  key(event) {
    if (this.list.hidden || !this.choices.length) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      this.active = (this.active + (event.key === "ArrowDown" ? 1 : this.choices.length - 1)) % this.choices.length;
      this.render();
    } else if ((event.key === "Enter" || event.key === "Tab") && !event.isComposing) {
      this.choose(this.choices[this.active]);
    } else if (event.key === "Escape") {
      this.dismissed = true;
      this.close();
    } else {
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
  }

  choose(member) {
    const caret = this.input.selectionStart;
    const before = this.input.value.slice(0, caret).replace(/@[A-Za-z0-9_.-]*$/, `@${member.username} `);
    this.input.value = before + this.input.value.slice(caret);
    this.input.setSelectionRange(before.length, before.length);
    this.close();
    this.input.focus();
  }

  close() {
    this.list.hidden = true;
    this.choices = [];
  }
}
