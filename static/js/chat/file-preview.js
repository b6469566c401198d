// Files chosen, dropped or pasted are shown before they go: a thumbnail for an image, else the
// name, size and type; a caption, which becomes the text of the (first) file's message
// (docs/files.md: a file message's body is optional); Send, or Cancel (nothing is sent).

import { formatSize } from "../attachments.js";
import { $, el, sendOnEnter } from "./dom.js";
import { nt, t } from "../i18n.js";

// Thumbnails are read as data: URLs (the page's CSP allows data: images, not blob:), small ones only.
const THUMBNAIL_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
const THUMBNAIL_MAX_BYTES = 8 * 1024 * 1024;

function thumbnail(file) {
  if (!THUMBNAIL_TYPES.has(file.type) || file.size > THUMBNAIL_MAX_BYTES) return null;
  const image = el("img", { className: "file-preview-image", attrs: { alt: file.name || t("Image") } });
  const reader = new FileReader();
  reader.addEventListener("load", () => {
    image.src = reader.result;
  });
  reader.readAsDataURL(file);
  return image;
}

export class FilePreview {
  /** `onSend(conversationId, files, caption)`: what Send does (sender.js attach). */
  constructor({ onSend, onClose = () => {} }) {
    this.onSend = onSend;
    this.onClose = onClose;
    this.dialog = $("#file-preview-dialog");
    this.title = $("#file-preview-title");
    this.list = $("#file-preview-list");
    this.caption = $("#file-preview-caption");
    this.files = [];
    this.conversationId = null;
    $("#file-preview-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    sendOnEnter(this.caption, () => this.send()); // as in the composer
    // Esc, Cancel and Send all end here. The close event comes a task after the dialog closed: files
    // chosen in between opened it again, and they stay (open() already left nothing behind).
    this.dialog.addEventListener("close", () => {
      if (this.dialog.open) return;
      this.clear();
      this.onClose();
    });
  }

  clear() {
    this.files = [];
    this.list.replaceChildren();
    this.caption.value = "";
  }

  /** Show `files` for the conversation `conversationId`; more files while it is open join them. */
  open(conversationId, files) {
    if (!this.dialog.open) {
      this.clear(); // nothing of the files shown last, even before their close event came
      this.conversationId = conversationId;
    } else if (conversationId !== this.conversationId) {
      return;
    }
    this.files.push(...files);
    this.render();
    if (!this.dialog.open) this.dialog.showModal();
    this.caption.focus();
  }

  render() {
    const count = this.files.length;
    this.title.textContent = nt("Send {count} file", "Send {count} files", count);
    this.list.replaceChildren(...this.files.map((file) => {
      const remove = el("button", { className: "link-button", text: t("Remove file"),
        attrs: { type: "button", "aria-label": t("Remove file {name}", { name: file.name || t("file") }) },
        on: { click: () => this.remove(file) } });
      return el("li", { className: "file-preview-item" }, [
        thumbnail(file) || el("span", { className: "file-preview-icon", text: "📄", attrs: { "aria-hidden": "true" } }),
        el("span", { className: "file-preview-text" }, [
          el("span", { className: "attachment-name file-preview-name", text: file.name || t("file") }),
          el("span", { className: "attachment-size", text: [formatSize(file.size), file.type].filter(Boolean).join(" · ") }),
        ]),
        remove,
      ]);
    }));
  }

  remove(file) {
    this.files = this.files.filter((chosen) => chosen !== file);
    if (!this.files.length) this.dialog.close();
    else {
      this.render();
      this.caption.focus();
    }
  }

  send() {
    if (!this.files.length) return;
    const files = this.files;
    const caption = this.caption.value.trim();
    const conversationId = this.conversationId;
    this.dialog.close();
    this.onSend(conversationId, files, caption);
  }
}
