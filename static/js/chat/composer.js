// The message box: Enter sends, Shift+Enter inserts a newline; it grows with its text.

import { $ } from "./dom.js";

const MAX_HEIGHT_PX = 180;

export class Composer {
  constructor({ onSend }) {
    this.form = $("#composer");
    this.input = $("#composer-input");
    this.onSend = onSend;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (event) => {
      // isComposing: Enter that confirms an IME composition (Japanese, Chinese…) must not send.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => this.fit());
  }

  submit() {
    const body = this.input.value.trim();
    if (!body) return;
    if (this.onSend(body) !== false) {
      this.input.value = "";
      this.fit();
    }
    this.input.focus();
  }

  focus() {
    this.input.focus();
  }

  fit() {
    this.input.style.height = "auto";
    this.input.style.height = Math.min(this.input.scrollHeight, MAX_HEIGHT_PX) + "px";
  }
}
