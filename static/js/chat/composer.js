// The message box: Enter sends, Shift+Enter inserts a newline; it grows with its text.
// Files come from the attach button, from a drop on the conversation, or from a paste.

import { filesFrom } from "../attachments.js";
import { $ } from "./dom.js";

const MAX_HEIGHT_PX = 180;

export class Composer {
  constructor({ onSend, onFiles }) {
    this.form = $("#composer");
    this.input = $("#composer-input");
    this.fileInput = $("#file-input");
    this.onSend = onSend;
    this.onFiles = onFiles;
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
    this.input.addEventListener("paste", (event) => {
      const files = filesFrom(event.clipboardData);
      if (files.length) {
        event.preventDefault(); // a pasted screenshot is a file, not text
        this.onFiles(files);
      }
    });
    $("#attach-button").addEventListener("click", () => this.fileInput.click());
    this.fileInput.addEventListener("change", () => {
      const files = Array.from(this.fileInput.files || []);
      this.fileInput.value = ""; // choosing the same file again fires change again
      if (files.length) this.onFiles(files);
    });
    this.watchDrops($("#conversation-view"));
  }

  watchDrops(zone) {
    const hint = $("#drop-hint");
    let depth = 0; // dragenter/dragleave fire for every child: count them
    const carriesFiles = (event) => Array.from(event.dataTransfer?.types || []).includes("Files");
    // Only while the composer is shown: read-only conversations take no files.
    const accepts = (event) => carriesFiles(event) && !this.form.hidden;
    zone.addEventListener("dragenter", (event) => {
      if (!accepts(event)) return;
      depth += 1;
      hint.hidden = false;
    });
    zone.addEventListener("dragleave", () => {
      depth = Math.max(0, depth - 1);
      if (!depth) hint.hidden = true;
    });
    zone.addEventListener("dragover", (event) => {
      if (accepts(event)) event.preventDefault(); // allows the drop
    });
    zone.addEventListener("drop", (event) => {
      depth = 0;
      hint.hidden = true;
      const files = accepts(event) ? filesFrom(event.dataTransfer) : [];
      if (!files.length) return;
      event.preventDefault();
      this.onFiles(files);
    });
    // A file dropped anywhere else would make the browser leave the chat to show the file.
    for (const type of ["dragover", "drop"]) {
      window.addEventListener(type, (event) => {
        if (event.defaultPrevented || !carriesFiles(event)) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = "none";
      });
    }
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
