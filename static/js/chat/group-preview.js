// A public group before joining (GET /api/groups/<id>/preview): its description, how many are in it
// and its newest messages, read-only, with a Join button. Opened from the "Join group" dialog.

import { api } from "./api.js";
import { $, el, messageTime } from "./dom.js";
import { displayName, groupAvatar } from "./avatars.js";
import { messageLine } from "./message-format.js";
import { nt, t } from "../i18n.js";

function previewLine(message) {
  const text = messageLine(message);
  const sender = displayName(message.sender);
  return el("li", { className: message.sender ? "preview-message" : "preview-message note", dataset: { id: message.id } }, [
    sender ? el("strong", { className: "preview-sender", text: sender }) : null,
    el("span", { className: "preview-text", text }),
    el("time", { className: "message-time", text: messageTime(message.created_at), attrs: { datetime: message.created_at } }),
  ]);
}

export class GroupPreview {
  constructor({ join }) {
    this.join = join; // (group, button) -> Promise: joins and opens it (dialogs.js)
    this.dialog = $("#group-preview");
    this.group = null;
    $("#group-preview-join").addEventListener("click", async () => {
      const button = $("#group-preview-join");
      if (!this.group) return;
      try {
        await this.join(this.group, button);
        this.dialog.close();
      } catch (error) {
        $("#group-preview .dialog-error").textContent = error.message;
      }
    });
  }

  async open(group) {
    this.group = group;
    $("#group-preview .dialog-error").textContent = "";
    $("#group-preview-title").textContent = group.name;
    $("#group-preview-picture").replaceChildren(groupAvatar(group, { size: "medium", className: "avatar group-panel-avatar" }));
    $("#group-preview-description").textContent = group.description || "";
    $("#group-preview-count").textContent = "";
    const list = $("#group-preview-messages");
    list.replaceChildren(el("li", { className: "result-empty", text: t("Loading messages…") }));
    $("#group-preview-join").disabled = false;
    if (!this.dialog.open) this.dialog.showModal();
    try {
      const { conversation, messages } = await api("GET", `/groups/${group.id}/preview`);
      if (this.group !== group) return;
      $("#group-preview-count").textContent = nt("{count} member", "{count} members", conversation.member_count);
      list.replaceChildren(...messages.map(previewLine));
      if (!messages.length) list.append(el("li", { className: "result-empty", text: t("No messages yet") }));
      list.scrollTop = list.scrollHeight;
    } catch (error) {
      list.replaceChildren();
      $("#group-preview .dialog-error").textContent = error.message;
    }
  }
}
