// Dialogs: create a group, join a public group, start a direct chat, confirm, edit a message.

import { api, query } from "./api.js";
import { $, debounce, el } from "./dom.js";
import { GroupPreview } from "./group-preview.js";
import { nt, t } from "../i18n.js";
import { displayName } from "./avatars.js";

function setError(dialog, message) {
  const slot = $(".dialog-error", dialog);
  if (slot) slot.textContent = message || "";
}

/** Open a modal; the page keeps working if the browser lacks <dialog>. */
function open(dialog) {
  setError(dialog, "");
  if (typeof dialog.showModal === "function") dialog.showModal();
  else dialog.setAttribute("open", "");
}

export class Dialogs {
  constructor({ store, onConversation }) {
    this.store = store;
    this.onConversation = onConversation; // (conversation) => add it and open it
    this.createDialog = $("#create-group-dialog");
    this.joinDialog = $("#join-group-dialog");
    this.directDialog = $("#direct-dialog");
    this.confirmDialog = $("#confirm-dialog");
    this.editDialog = $("#edit-dialog");
    $("#new-group-button").addEventListener("click", () => this.openCreate());
    $("#join-group-button").addEventListener("click", () => this.openJoin());
    $("#new-direct-button").addEventListener("click", () => this.openDirect());
    $("#create-group-form").addEventListener("submit", (event) => this.submitCreate(event));
    $("#group-search").addEventListener("input", debounce(() => this.searchGroups(), 250));
    $("#user-search").addEventListener("input", debounce(() => this.searchUsers(), 250));
    // A public group's newest messages before joining (group-preview.js).
    this.preview = new GroupPreview({ join: (group, button) => this.joinFromPreview(group, button) });
  }

  openCreate() {
    $("#create-group-form").reset();
    open(this.createDialog);
    $("#group-name").focus();
  }

  async submitCreate(event) {
    event.preventDefault();
    const form = event.target;
    const submit = $("#create-group-submit");
    submit.disabled = true;
    try {
      const { conversation } = await api("POST", "/groups", {
        name: form.elements.name.value,
        description: form.elements.description.value,
        visibility: form.elements.visibility.value,
      });
      this.createDialog.close();
      this.onConversation(conversation);
    } catch (error) {
      setError(this.createDialog, error.message);
    } finally {
      submit.disabled = false;
    }
  }

  openJoin() {
    $("#group-search").value = "";
    $("#group-results").replaceChildren();
    open(this.joinDialog);
    $("#group-search").focus();
    this.searchGroups();
  }

  async searchGroups() {
    const results = $("#group-results");
    try {
      const { groups } = await api("GET", "/groups" + query({ q: $("#group-search").value.trim() }));
      setError(this.joinDialog, "");
      results.replaceChildren(...groups.map((group) => this.groupResult(group)));
      if (!groups.length) results.append(el("li", { className: "result-empty", text: t("No public group matches.") }));
    } catch (error) {
      setError(this.joinDialog, error.message);
    }
  }

  groupResult(group) {
    const member = this.store.get(group.id);
    const count = group.member_count ?? 0;
    const button = el("button", {
      className: member ? "button subtle" : "button primary",
      text: member ? t("Open") : t("Join"),
      attrs: { type: "button" },
      on: { click: () => (member ? this.finish(this.joinDialog, this.store.get(group.id)) : this.join(group, button)) },
    });
    const preview = member ? null : el("button", { className: "button subtle", text: t("Preview"),
      attrs: { type: "button", "aria-label": t("Preview {name}", { name: group.name }) },
      on: { click: () => this.preview.open(group) } });
    return el("li", { className: "result", dataset: { groupId: group.id } }, [
      el("span", { className: "avatar group", text: "#", attrs: { "aria-hidden": "true" } }),
      el("span", { className: "result-text" }, [
        el("strong", { text: group.name }),
        el("span", { className: "muted", text: nt("{count} member", "{count} members", count)
          + (group.description ? ` · ${group.description}` : "") }),
      ]),
      preview,
      button,
    ]);
  }

  /** Join from the search results: a refusal shows in this dialog. */
  async join(group, button) {
    try {
      await this.joinFromPreview(group, button);
    } catch (error) {
      setError(this.joinDialog, error.message);
    }
  }

  /** Join, then open the group; a refusal is thrown (the preview shows it in its own dialog). */
  async joinFromPreview(group, button) {
    button.disabled = true;
    try {
      const { conversation } = await api("POST", `/groups/${group.id}/join`);
      this.finish(this.joinDialog, conversation);
    } finally {
      button.disabled = false;
    }
  }

  openDirect() {
    $("#user-search").value = "";
    $("#user-results").replaceChildren();
    open(this.directDialog);
    $("#user-search").focus();
    this.searchUsers();
  }

  async searchUsers() {
    const results = $("#user-results");
    try {
      const { users } = await api("GET", "/users" + query({ q: $("#user-search").value.trim() }));
      setError(this.directDialog, "");
      results.replaceChildren(...users.map((user) => this.userResult(user)));
      if (!users.length) results.append(el("li", { className: "result-empty", text: t("Nobody matches.") }));
    } catch (error) {
      setError(this.directDialog, error.message);
    }
  }

  userResult(user) {
    const name = displayName(user);
    const button = el("button", { className: "button primary", text: t("Message"), attrs: { type: "button" },
      on: { click: () => this.startDirect(user, button) } });
    return el("li", { className: "result", dataset: { userId: user.id } }, [
      el("span", { className: "avatar", text: name.charAt(0).toUpperCase(), attrs: { "aria-hidden": "true" } }),
      el("span", { className: "result-text" }, [
        el("strong", { text: name }),
        el("span", { className: "muted", text: "@" + user.username }),
      ]),
      button,
    ]);
  }

  async startDirect(user, button) {
    button.disabled = true;
    try {
      const { conversation } = await api("POST", "/direct", { user_id: user.id });
      this.finish(this.directDialog, conversation);
    } catch (error) {
      setError(this.directDialog, error.message);
      button.disabled = false;
    }
  }

  finish(dialog, conversation) {
    dialog.close();
    if (conversation) this.onConversation(conversation);
  }

  /** Our own confirmation (never window.confirm): answers true when confirmed. */
  confirm(title, text, confirmLabel) {
    $("#confirm-title").textContent = title;
    $("#confirm-text").textContent = text;
    $("#confirm-button").textContent = confirmLabel;
    this.confirmDialog.returnValue = "";
    open(this.confirmDialog);
    return new Promise((resolve) => {
      this.confirmDialog.addEventListener("close", () => resolve(this.confirmDialog.returnValue === "confirm"),
        { once: true });
    });
  }

  /** Ask for a message's new text; `save(body)` rejects with an error to show. */
  edit(message, save) {
    const form = $("#edit-form");
    const input = $("#edit-input");
    input.value = message.body;
    open(this.editDialog);
    input.focus();
    // Enter saves and Shift+Enter starts a new line, as in the composer (and Telegram's, Slack's edit).
    input.onkeydown = (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    };
    form.onsubmit = async (event) => {
      event.preventDefault();
      try {
        await save(input.value);
        this.editDialog.close();
      } catch (error) {
        setError(this.editDialog, error.message);
      }
    };
  }
}
