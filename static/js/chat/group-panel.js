// The group info panel, opened from the conversation's header: picture, name, description, members
// with their roles and presence; owners and admins rename, describe, add people (by search), promote,
// demote and remove; everyone leaves; owners hand the group over or delete it. The server decides
// (docs/protocol.md "Groups"); the page offers only what the caller's role allows, and redraws
// whenever the header's members change (member:joined / member:updated / member:left) or the group
// does (conversation:updated), so another member's change shows here live.

import { api, query } from "./api.js";
import { $, debounce, drawList, el, toast } from "./dom.js";
import { displayName, groupAvatar, personAvatar, rememberPerson } from "./avatars.js";
import { memberItem } from "./presence-view.js";
import { nt, t } from "../i18n.js";

const ROLE_ORDER = { owner: 0, admin: 1, member: 2 };

export class GroupPanel {
  constructor({ me, presenceOf, confirm, onLeave, onMember }) {
    this.me = me;
    this.presenceOf = presenceOf; // (user id) -> presence entry (presence.js)
    this.confirm = confirm; // (title, text, button) -> Promise<boolean> (dialogs.js)
    // (conversation id, report) asks, leaves and forgets the group as the header's Leave does (app.js);
    // a refusal is reported here. Leaving closes the conversation, and with it this panel.
    this.onLeave = onLeave;
    this.onMember = onMember; // (conversation id, member) a member added or changed by our own request
    this.dialog = $("#group-panel");
    this.conversation = null;
    this.members = null;
    $("#group-info-button").addEventListener("click", () => this.open());
    $("#group-edit-form").addEventListener("submit", (event) => this.saveDetails(event));
    $("#group-add-search").addEventListener("input", debounce(() => this.searchPeople(), 250));
    $("#group-panel-leave").addEventListener("click",
      () => this.onLeave(this.conversation.id, (message) => this.setError(message)));
    $("#group-panel-delete").addEventListener("click", () => this.deleteGroup());
    $("#group-panel-members").addEventListener("click", (event) => this.memberAction(event));
  }

  /** The header's hook: the open conversation or its members changed. */
  shown(conversation, members) {
    if (this.conversation?.id !== conversation?.id && this.dialog.open) this.dialog.close();
    this.conversation = conversation;
    this.members = members;
    $("#group-info-button").hidden = conversation?.kind !== "group";
    if (this.dialog.open) this.render();
  }

  closed() {
    if (this.dialog.open) this.dialog.close();
    this.conversation = null;
    this.members = null;
  }

  open() {
    if (this.conversation?.kind !== "group") return;
    this.setError("");
    $("#group-add-search").value = "";
    $("#group-add-results").replaceChildren();
    this.filledFor = null;
    this.render();
    this.dialog.showModal();
  }

  /** The caller's role, from the live member list (fresher than the conversation's membership). */
  myRole() {
    return this.members?.get(this.me.id)?.role || this.conversation?.membership?.role || "member";
  }

  render() {
    const conversation = this.conversation;
    if (!conversation) return;
    const role = this.myRole();
    const manager = role === "owner" || role === "admin";
    const archived = Boolean(conversation.archived);
    $("#group-panel-picture").replaceChildren(groupAvatar(conversation, { size: "medium", className: "avatar group-panel-avatar" }));
    $("#group-panel-name").textContent = conversation.name || conversation.title || "";
    $("#group-panel-description").textContent = conversation.description || "";
    $("#group-panel-description").hidden = !conversation.description;
    const count = this.members ? this.members.size : 0;
    $("#group-panel-count").textContent = this.members
      ? nt("{count} member", "{count} members", count) + " · "
        + (conversation.visibility === "public" ? t("Public group") : t("Private group"))
      : t("Loading members…");
    // Owners and admins edit and add; the form keeps what is being typed while others' changes arrive.
    $("#group-manage").hidden = !manager || archived;
    if (manager && this.filledFor !== conversation.id) {
      $("#group-edit-name").value = conversation.name || "";
      $("#group-edit-description").value = conversation.description || "";
      this.filledFor = conversation.id;
    }
    $("#group-panel-delete").hidden = role !== "owner";
    $("#group-panel-archived").hidden = !archived;
    this.renderMembers(role);
  }

  renderMembers(myRole) {
    const members = [...(this.members?.values() || [])].sort((first, second) =>
      (ROLE_ORDER[first.role] ?? 3) - (ROLE_ORDER[second.role] ?? 3) || displayName(first).localeCompare(displayName(second)));
    // In place: presence changes redraw the list under a click on a member's button (dom.js drawList).
    drawList($("#group-panel-members"), members.map((member) => memberItem(member, {
      me: this.me, entry: this.presenceOf(member.id),
      actions: member.id === this.me.id || this.conversation.archived ? null : this.memberActions(member, myRole) })),
    (item) => item.dataset.userId);
  }

  /** What the caller may do to a member: admins promote members and remove them; owners anything. */
  memberActions(member, myRole) {
    const buttons = [];
    const name = displayName(member);
    // The accessible name starts with the visible text (WCAG 2.5.3, axe's label-content-name-mismatch),
    // then says whom: "Make admin (Bob Okafor)".
    const button = (text, action, className = "link-button") => buttons.push(el("button", {
      className, text, attrs: { type: "button", "aria-label": `${text} (${name})` }, dataset: { memberAction: action } }));
    if (myRole === "owner" || (myRole === "admin" && member.role === "member")) {
      if (member.role === "member") button(t("Make admin"), "admin");
      if (myRole === "owner" && member.role === "admin") button(t("Make member"), "member");
      if (myRole === "owner" && member.role !== "owner") button(t("Make owner"), "owner");
      button(t("Remove"), "remove", "link-button danger");
    }
    return buttons.length ? el("span", { className: "member-actions" }, buttons) : null;
  }

  /** A member's button clicked: one listener for the list, so that a button drawn again in place as another
   *  (its member's role changed) does what it now says. */
  memberAction(event) {
    const button = event.target.closest("button[data-member-action]");
    const member = button && this.members?.get(Number(button.closest(".member-item").dataset.userId));
    if (!member) return;
    const actions = { admin: () => this.setRole(member, "admin"), member: () => this.setRole(member, "member"),
      owner: () => this.transfer(member), remove: () => this.remove(member) };
    actions[button.dataset.memberAction]();
  }

  setError(message) {
    $("#group-panel .dialog-error").textContent = message || "";
  }

  /** One request; its error shows in the panel. The panel itself follows the events it causes. */
  async attempt(request) {
    this.setError("");
    try {
      return await request();
    } catch (error) {
      this.setError(error.message);
      return null;
    }
  }

  async setRole(member, role) {
    const id = this.conversation.id;
    const answer = await this.attempt(() => api("PATCH", `/groups/${id}/members/${member.id}`, { role }));
    if (answer) this.onMember(id, answer.member);
  }

  async transfer(member) {
    const id = this.conversation.id;
    const confirmed = await this.confirm(t("Make {name} the owner?", { name: displayName(member) }),
      t("They will own the group; you stay an admin and can no longer delete it."), t("Make owner"));
    if (!confirmed) return;
    const answer = await this.attempt(() => api("POST", `/groups/${id}/owner`, { user_id: member.id }));
    if (answer) this.onMember(id, answer.member);
  }

  async remove(member) {
    const id = this.conversation.id;
    const confirmed = await this.confirm(t("Remove {name}?", { name: displayName(member) }),
      t("They will stop receiving the group's messages."), t("Remove"));
    if (confirmed) await this.attempt(() => api("DELETE", `/groups/${id}/members/${member.id}`));
  }

  async saveDetails(event) {
    event.preventDefault();
    const id = this.conversation.id;
    const answer = await this.attempt(() => api("PATCH", `/groups/${id}`, {
      name: $("#group-edit-name").value, description: $("#group-edit-description").value }));
    if (answer) toast(t("Saved."), "info");
  }

  async searchPeople() {
    const text = $("#group-add-search").value.trim();
    const results = $("#group-add-results");
    if (!text) {
      results.replaceChildren();
      return;
    }
    const answer = await this.attempt(() => api("GET", "/users" + query({ q: text, limit: 10 })));
    if (!answer) return;
    const outside = answer.users.filter((user) => !this.members?.has(user.id));
    results.replaceChildren(...outside.map((user) => {
      const add = el("button", { className: "button small primary", text: t("Add"),
        attrs: { type: "button", "aria-label": t("Add {name} to the group", { name: displayName(user) }) } });
      add.addEventListener("click", () => this.add(user, add));
      return el("li", { className: "result", dataset: { userId: user.id } }, [
        personAvatar(user),
        el("span", { className: "result-text" }, [
          el("strong", { text: displayName(user) }), el("span", { className: "muted", text: "@" + user.username })]),
        add,
      ]);
    }));
    if (!outside.length) results.append(el("li", { className: "result-empty", text: t("Nobody to add matches.") }));
  }

  async add(user, button) {
    button.disabled = true;
    const id = this.conversation.id;
    const answer = await this.attempt(() => api("POST", `/groups/${id}/members`, { user_id: user.id }));
    if (!answer) {
      button.disabled = false;
      return;
    }
    rememberPerson(user);
    this.onMember(id, answer.member);
    button.closest("li")?.remove();
  }

  /** What leaving the open group means: the last owner's place passes on (the server's rule), so
   * they are told to whom; the header's Leave button asks with it too. */
  leaveWarning() {
    const others = [...(this.members?.values() || [])].filter((member) => member.id !== this.me.id);
    const active = (member) => member.active !== false;
    // The server's rule (actions.groups remove_membership_unchecked): an owner whose account is active stays,
    // else the longest-standing admin, else member, takes over, an active account before a deactivated or
    // suspended one, and only an active one while deactivated or suspended owners stay.
    const lastOwner = this.myRole() === "owner" && !others.some((member) => member.role === "owner" && active(member));
    const ownersStay = others.some((member) => member.role === "owner");
    // Members are listed in joining order: a stable sort keeps it within each rank.
    const candidates = others.filter((member) => !ownersStay || active(member)).sort((first, second) =>
      (active(second) - active(first)) || ((second.role === "admin") - (first.role === "admin")));
    const heir = candidates[0];
    if (!lastOwner || !heir) return t("You will stop receiving its messages. A public group can be joined again.");
    return t("You are its only owner: {name} will own it. To choose someone else, make them owner first.",
      { name: displayName(heir) });
  }

  async deleteGroup() {
    const conversation = this.conversation;
    const confirmed = await this.confirm(t("Delete {title}?", { title: conversation.title }),
      t("Its messages and files are deleted for everyone. This cannot be undone."), t("Delete group"));
    if (!confirmed) return;
    const answer = await this.attempt(() => api("DELETE", `/groups/${conversation.id}`));
    if (!answer) return;
    this.dialog.close();
    toast(t("{title} is being deleted.", { title: conversation.title }), "info");
  }
}
