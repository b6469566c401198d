// Full-size images over the page: a click on a thumbnail opens the original in a dialog.
// Ctrl/Cmd/Shift/middle clicks keep the link's own behaviour (a new tab or window).

import { $ } from "./dom.js";

export class ImageViewer {
  constructor(list) {
    this.dialog = $("#image-viewer");
    this.image = $("#image-viewer-image");
    this.name = $("#image-viewer-name");
    this.download = $("#image-viewer-download");
    list.addEventListener("click", (event) => {
      const link = event.target.closest("a.attachment-image-link");
      if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      this.open(link);
    });
    // A click on the dark backdrop (the dialog itself, outside the figure) closes it too.
    this.dialog.addEventListener("click", (event) => event.target === this.dialog && this.dialog.close());
    this.dialog.addEventListener("close", () => this.image.removeAttribute("src"));
  }

  open(link) {
    const url = link.getAttribute("href"); // the payload's url: the app's route, which redirects to a fresh URL
    const name = link.querySelector("img")?.alt || "";
    this.image.src = url;
    this.image.alt = name;
    this.name.textContent = name;
    this.download.href = link.dataset.downloadUrl; // the payload's download_url
    this.dialog.showModal();
  }
}
