// Reporting someone else's message to the operators: a reason, optional details, one socket request.
// The server keeps one report per person and message; its refusals are shown in the dialog.

import { $, toast } from "./dom.js";
import { t } from "../i18n.js";
import { displayName } from "./avatars.js";
import { excerpt } from "./message-format.js";

export class ReportDialog {
  /** `ask(event, payload)` resolves with the ack, or rejects with the server's error message. */
  constructor({ ask, block }) {
    this.ask = ask;
    this.block = block; // (user) -> blocks them: "Also block this person"
    this.dialog = $("#report-dialog");
    this.form = $("#report-form");
    this.submitButton = $("#report-submit");
    this.message = null;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
  }

  open(message) {
    this.message = message;
    this.form.reset();
    this.showError("");
    const sender = displayName(message.sender);
    const quoted = excerpt(message);
    $("#report-quote").textContent = sender ? `${sender}: ${quoted}` : quoted;
    this.submitButton.disabled = false;
    this.dialog.showModal();
    this.form.elements.reason[0].focus();
  }

  async submit() {
    const message = this.message;
    if (!message) return;
    this.submitButton.disabled = true;
    try {
      await this.ask("message:report", {
        message_id: message.id,
        reason: this.form.elements.reason.value,
        text: this.form.elements.text.value.trim(),
      });
      this.dialog.close();
      toast(t("Thanks. The operators will look at this message."), "info");
      if ($("#report-block").checked && message.sender) this.blockSender(message.sender);
    } catch (error) {
      this.showError(error.message);
    } finally {
      this.submitButton.disabled = false;
    }
  }

  async blockSender(sender) {
    try {
      await this.block(sender);
      toast(t("{name} is blocked.", { name: displayName(sender) }), "info");
    } catch (error) {
      toast(error);
    }
  }

  showError(text) {
    $(".dialog-error", this.dialog).textContent = text;
  }
}
