// The message box: Enter sends, Shift+Enter inserts a newline; it grows with its text.
// Files come from the attach button, from a drop on the conversation, or from a paste; one larger
// than the server's limit (UPLOAD_MAX_BYTES, on #file-input) is refused at once, before any upload.
// Each conversation keeps its own draft (drafts.js); near the server's length limit a counter
// shows what is left, and a message over it is not sent (the text stays).

import { filesFrom, formatSize } from "../attachments.js";
import { $, el, sendOnEnter, toast } from "./dom.js";
import { t } from "../i18n.js";

const MAX_HEIGHT_PX = 180;
const COUNTER_FROM = 0.9; // the counter shows from 90 % of the limit

/** Characters as the server counts them (code points), after the trim it does too. */
function messageLength(text) {
  return [...text.trim()].length;
}

export class Composer {
  constructor({ onSend, onFiles, drafts }) {
    this.form = $("#composer");
    this.input = $("#composer-input");
    this.fileInput = $("#file-input");
    this.onSend = onSend;
    this.onFiles = onFiles;
    this.drafts = drafts;
    this.conversationId = null;
    this.maxLength = Number(this.input.dataset.maxLength) || 4000;
    this.maxFileBytes = Number(this.fileInput.dataset.maxBytes) || Infinity; // the server checks it too
    this.counter = el("span", { className: "composer-counter", attrs: { id: "composer-counter", "aria-live": "polite" } });
    this.counter.hidden = true;
    this.note = el("p", { className: "composer-error", attrs: { id: "composer-error", role: "alert" } });
    this.note.hidden = true;
    $("#send-button").before(this.counter);
    this.form.after(this.note);
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    sendOnEnter(this.input, () => this.submit());
    this.input.addEventListener("input", () => {
      this.fit();
      this.count();
      this.drafts.saveBody(this.conversationId, this.input.value);
    });
    this.input.addEventListener("paste", (event) => {
      const files = filesFrom(event.clipboardData);
      if (files.length) {
        event.preventDefault(); // a pasted screenshot is a file, not text
        this.offer(files);
      }
    });
    $("#attach-button").addEventListener("click", () => this.fileInput.click());
    this.fileInput.addEventListener("change", () => {
      const files = Array.from(this.fileInput.files || []);
      this.fileInput.value = ""; // choosing the same file again fires change again
      if (files.length) this.offer(files);
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
      this.offer(files);
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

  /** Files chosen, dropped or pasted go on to the preview, but for those the server would refuse for
   * their size: each is named at once, with the limit, and never uploaded. */
  offer(files) {
    const fitting = files.filter((file) => file.size <= this.maxFileBytes);
    for (const file of files) {
      if (file.size <= this.maxFileBytes) continue;
      toast(t("{name} is too large to send: files can be at most {limit}.",
        { name: file.name || t("file"), limit: formatSize(this.maxFileBytes) }));
    }
    if (fitting.length) this.onFiles(fitting);
  }

  /** The composer now writes in `conversationId` (null: none open): its own draft comes back. */
  show(conversationId) {
    if (this.conversationId === conversationId) return;
    this.drafts.saveBody(this.conversationId, this.input.value);
    this.conversationId = conversationId;
    this.setText(conversationId ? this.drafts.get(conversationId).body : "");
  }

  setText(text) {
    this.input.value = text;
    this.fit();
    this.count();
    this.say("");
  }

  /** A message the server refused goes back to its conversation's draft, before what is there;
   * shown at once when that conversation is open. */
  restore(conversationId, body, why) {
    const kept = conversationId === this.conversationId ? this.input.value : this.drafts.get(conversationId).body;
    const text = kept.trim() ? `${body}\n${kept}` : body;
    this.drafts.saveBody(conversationId, text);
    if (conversationId === this.conversationId) {
      this.setText(text);
      this.say(why, "refused");
    }
  }

  submit() {
    const body = this.input.value.trim();
    if (!body) return;
    const length = messageLength(body);
    if (length > this.maxLength) {
      this.say(t("This message is too long: {count} characters, at most {max}. Shorten it or send it in parts.",
        { count: length, max: this.maxLength }));
      this.input.focus();
      return;
    }
    if (this.onSend(body) !== false) {
      this.drafts.clear(this.conversationId);
      this.setText("");
    }
    this.input.focus();
  }

  /** The counter near the limit: what is left, or how much is too many. */
  count() {
    const length = messageLength(this.input.value);
    const over = length > this.maxLength;
    this.counter.hidden = length < this.maxLength * COUNTER_FROM;
    this.counter.classList.toggle("over", over);
    this.counter.textContent = over
      ? t("{count} too many", { count: length - this.maxLength })
      : t("{count} left", { count: this.maxLength - length });
    this.counter.title = t("At most {max} characters", { max: this.maxLength });
    if (!over && this.note.dataset.kind === "length") this.say("");
  }

  /** A line under the composer: why a message was not sent (empty: hidden). */
  say(text, kind = "length") {
    this.note.textContent = text;
    this.note.dataset.kind = kind;
    this.note.hidden = !text;
  }

  focus() {
    this.input.focus();
  }

  fit() {
    this.input.style.height = "auto";
    this.input.style.height = Math.min(this.input.scrollHeight, MAX_HEIGHT_PX) + "px";
  }
}
