// The profile card: picture, name, status line, presence and local time of a person, with
// "Message", "Add contact", "Block" and "Report". Opened by clicking a name or a picture.
// The contacts and blocks routes are docs/protocol.md's; refusals are shown in the card.

import { api } from "./api.js";
import { $, toast } from "./dom.js";
import { displayName, personOf, rememberPerson, sizedUrl } from "./avatars.js";
import { presenceLabel } from "./presence.js";
import { locale, t } from "../i18n.js";

export class ProfileCard {
  /** onMessage(conversation): a direct chat to open; onReport(message): the report dialog;
   *  latestMessageOf(userId): their newest message in the open conversation (for Report);
   *  confirm(title, text, button): a yes/no dialog; contacts: the sidebar's (contacts.js), which
   *  knows who is a contact or blocked and blocks and unblocks for the whole page. */
  constructor({ me, onMessage, onReport, latestMessageOf, confirm, contacts }) {
    this.me = me;
    this.contacts = contacts;
    this.callbacks = { onMessage, onReport, latestMessageOf, confirm };
    this.dialog = $("#profile-card");
    this.user = null;
    this.message = null;
    this.presence = null;
    this.clock = null;
    this.dialog.addEventListener("close", () => clearInterval(this.clock));
    $("#profile-message").addEventListener("click", () => this.openChat());
    $("#profile-add-contact").addEventListener("click", () => this.addContact());
    $("#profile-block").addEventListener("click", () => this.block());
    $("#profile-unblock").addEventListener("click", () => this.unblock());
    $("#profile-report").addEventListener("click", () => this.report());
  }

  /** Show what the page knows at once, then the fresh profile (status, time zone, presence). */
  async open(user, { message = null } = {}) {
    this.message = message;
    this.presence = null;
    this.show(personOf(user), { loading: true });
    if (typeof this.dialog.showModal === "function" && !this.dialog.open) this.dialog.showModal();
    try {
      // Online or last seen, as their privacy settings let us see it (null: the route failed).
      const [{ user: fresh }, presence] = await Promise.all([api("GET", `/users/${user.id}`),
        api("GET", `/users/${user.id}/presence`).then((answer) => answer.presence, () => null)]);
      if (this.user?.id !== fresh.id) return; // another card was opened meanwhile
      this.presence = presence;
      this.show(rememberPerson(fresh), { loading: false });
    } catch (error) {
      if (this.user?.id === user.id) this.showError(error.message);
    }
  }

  show(user, { loading }) {
    this.user = user;
    this.showError("");
    const own = user.id === this.me.id;
    const avatar = $("#profile-card-avatar");
    avatar.src = sizedUrl(user.avatar_url, "large");
    avatar.dataset.avatarUser = user.id;
    avatar.dataset.avatarSize = "large";
    $("#profile-card-name").textContent = displayName(user);
    $("#profile-card-username").textContent = `@${user.username}`;
    $("#profile-card-status").textContent = user.status_text || "";
    $("#profile-card-status").hidden = !user.status_text;
    const presence = $("#profile-card-presence");
    const online = this.presence ? this.presence.online : user.online;
    const text = this.presence ? presenceLabel(this.presence)
      : { true: t("online"), false: t("offline") }[String(user.online)] || "";
    presence.hidden = loading || !text;
    presence.textContent = text;
    presence.dataset.online = online ? "true" : "false";
    this.showLocalTime(user.time_zone);
    $("#profile-edit").hidden = !own;
    const blocked = this.contacts.isBlocked(user.id);
    $("#profile-message").hidden = own || blocked;
    $("#profile-add-contact").hidden = own || blocked || this.contacts.contacts.has(user.id);
    $("#profile-block").hidden = own || blocked;
    $("#profile-unblock").hidden = own || !blocked;
    $("#profile-report").hidden = own || !this.reportable();
  }

  showLocalTime(timeZone) {
    clearInterval(this.clock);
    const line = $("#profile-card-time");
    line.hidden = !timeZone;
    if (!timeZone) return;
    let format;
    try {
      format = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", timeZone });
    } catch {
      line.hidden = true;
      return;
    }
    const draw = () => { line.textContent = t("Local time: {time}", { time: format.format(new Date()) }); };
    draw();
    this.clock = setInterval(draw, 30000);
  }

  reportable() {
    return Boolean(this.message || this.callbacks.latestMessageOf(this.user.id));
  }

  async openChat() {
    try {
      const { conversation } = await api("POST", "/direct", { user_id: this.user.id });
      this.dialog.close();
      this.callbacks.onMessage(conversation);
    } catch (error) {
      this.showError(error.message);
    }
  }

  async addContact() {
    try {
      await api("POST", "/contacts/requests", { username: this.user.username });
      toast(t("Contact request sent to {name}.", { name: displayName(this.user) }), "info");
    } catch (error) {
      this.showError(error.message);
    }
  }

  async block() {
    const name = displayName(this.user);
    const confirmed = await this.callbacks.confirm(t("Block {name}?", { name }),
      t("They will not be able to message you directly, send you contact requests or see when you are online."),
      t("Block"));
    if (!confirmed) return;
    try {
      await this.contacts.block(this.user); // the page hides their messages at once
      toast(t("{name} is blocked.", { name }), "info");
      if (this.dialog.open) this.dialog.close();
    } catch (error) {
      if (!this.dialog.open) this.dialog.showModal();
      this.showError(error.message);
    }
  }

  async unblock() {
    await this.contacts.unblock(this.user.id); // shows its own error
    this.show(this.user, { loading: false });
  }

  /** Reports are about messages: the one the card was opened from, else their newest one here. */
  report() {
    const message = this.message || this.callbacks.latestMessageOf(this.user.id);
    if (!message) return;
    this.dialog.close();
    this.callbacks.onReport(message);
  }

  showError(text) {
    $(".dialog-error", this.dialog).textContent = text || "";
  }
}
