// Presence on the chat page: a dot on each direct chat in the sidebar, "online" / "last seen today
// at 14:05" under a direct chat's title, how many members of a group are online, and the group's
// member list (a click on that line) with each member's presence. Data: presence.js.

import { $, actsAsButton, drawList, el } from "./dom.js";
import { displayName, personAvatar } from "./avatars.js";
import { nt, t } from "../i18n.js";
import { presenceLabel, presenceState } from "./presence.js";

const POLL_MS = 60_000;
const ROLE_LABELS = { owner: t("Owner"), admin: t("Admin"), member: t("Member") };

/** A member as both member lists show one (this file's dialog, the group panel): picture, presence
 *  dot, name ("You" for oneself) over presence, the role when `withRole` says so, then `actions`. */
export function memberItem(member, { me, entry, withRole = true, actions = null }) {
  const own = member.id === me.id;
  const state = presenceState(entry);
  return el("li", { className: "member-item", dataset: { userId: member.id, presence: state,
    ...(member.role ? { role: member.role } : {}) } }, [
    personAvatar(member),
    el("span", { className: "presence-dot", dataset: { state }, attrs: { "aria-hidden": "true" } }),
    el("span", { className: "member-text" }, [
      el("span", { className: "member-name", text: own ? t("You") : displayName(member),
        dataset: own ? {} : { nameUser: member.id } }),
      el("span", { className: "member-presence", text: presenceLabel(entry) }),
    ]),
    withRole ? el("span", { className: "member-role", text: ROLE_LABELS[member.role] || member.role }) : null,
    actions,
  ]);
}

export class PresenceView {
  constructor({ me, book }) {
    this.me = me;
    this.book = book;
    this.line = $("#conversation-presence");
    this.dialog = $("#members-dialog");
    this.conversation = null;
    this.members = null; // user id -> member of the open conversation, once the header loaded them
    actsAsButton(this.line, () => this.showMembers()); // a button while it is a group's (render)
  }

  /** The sidebar's hook: a presence dot on a direct chat's picture. */
  decorate(item, conversation) {
    const peerId = conversation.kind === "direct" ? conversation.peer?.id : null;
    if (!peerId) return;
    const entry = this.book.get(peerId);
    const state = presenceState(entry);
    item.dataset.presence = state;
    item.querySelector(".conversation-button")?.append(el("span", {
      className: "presence-dot conversation-dot", dataset: { state },
      attrs: { title: presenceLabel(entry) || null, "aria-label": presenceLabel(entry) || null } }));
  }

  /** The header's hook: it redrew the open conversation (members may have loaded). */
  headerShown(conversation, members) {
    const opened = this.conversation?.id !== conversation.id;
    this.conversation = conversation;
    this.members = members;
    if (opened) this.poll(conversation);
    this.render();
  }

  /** A group's members' presence now, and again every minute while it is open: groups bigger than
   * PRESENCE_GROUP_LIMIT are not told each change (docs/configuration.md). */
  poll(conversation) {
    clearInterval(this.polling);
    this.polling = null;
    if (conversation.kind !== "group") return;
    this.book.conversation(conversation.id);
    this.polling = setInterval(() => {
      if (document.visibilityState === "visible") this.book.conversation(conversation.id);
    }, POLL_MS);
  }

  closed() {
    clearInterval(this.polling);
    this.polling = null;
    this.conversation = null;
    this.members = null;
    this.render();
  }

  /** Presence of these users changed: redraw what shows them. */
  changed(userIds) {
    const conversation = this.conversation;
    if (!conversation) return;
    const shown = conversation.kind === "direct" ? [conversation.peer?.id] : [...(this.members?.keys() || [])];
    if (shown.some((id) => userIds.has(id))) this.render();
  }

  /** What the page shows of a member: the user is online to themselves, whatever they let others see. */
  entryOf(userId) {
    return userId === this.me.id ? { visible: true, online: true } : this.book.get(userId);
  }

  onlineCount() {
    if (!this.members) return null;
    return [...this.members.keys()].filter((id) => presenceState(this.entryOf(id)) === "online").length;
  }

  render() {
    const conversation = this.conversation;
    let text = "";
    let state = "hidden";
    if (conversation?.kind === "direct") {
      const entry = this.book.get(conversation.peer?.id);
      text = presenceLabel(entry);
      state = presenceState(entry);
    } else if (conversation) {
      const online = this.onlineCount();
      if (online !== null) {
        text = nt("{count} member, {online} online", "{count} members, {online} online", this.members.size,
          { online });
        state = "group";
      }
    }
    this.line.textContent = text;
    this.line.hidden = !text;
    this.line.dataset.state = state;
    const clickable = conversation?.kind === "group" && Boolean(text);
    this.line.classList.toggle("clickable", clickable);
    this.line.tabIndex = clickable ? 0 : -1;
    this.line.setAttribute("role", clickable ? "button" : "status");
    if (this.dialog.open) this.renderMembers();
  }

  showMembers() {
    if (this.conversation?.kind !== "group" || !this.members) return;
    this.renderMembers();
    this.dialog.showModal();
  }

  /** Online members first, then by name; each with a dot and "online" / "last seen …". Changed in place at
   *  each presence change while open (drawList), so a name being selected or copied stays selected. */
  renderMembers() {
    const rank = (member) => (presenceState(this.entryOf(member.id)) === "online" ? 0 : 1);
    const members = [...(this.members?.values() || [])]
      .sort((first, second) => rank(first) - rank(second) || displayName(first).localeCompare(displayName(second)));
    $("#members-title").textContent = this.conversation?.title || t("Members");
    drawList($("#members-list"), members.map((member) => memberItem(member,
      { me: this.me, entry: this.entryOf(member.id), withRole: Boolean(member.role) && member.role !== "member" })),
    (item) => item.dataset.userId);
  }
}
